// newInspectionServices(): the inspection services wired as the module wires them, with the engine replaced by a
// FakeInspectionEngine and diagnostics recorded in memory; the ModelStore works in a fresh temp directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { DiagnosticsService } from '../../common/diagnostics/diagnostics.service';
import { AppConfig } from '../../config/app-config';
import { loadConfig } from '../../config/load-config';
import { ModelRef, ModelStore } from '../../recipes/model-store';
import { CalibrationService } from '../calibration.service';
import { FitService } from '../fit.service';
import { InspectionDiagnostics } from '../inspection-diagnostics.service';
import { ModelArtifacts } from '../model-artifacts.service';
import { ModelStateService } from '../model-state.service';
import { ScoringService } from '../scoring.service';
import { FakeInspectionEngine } from './fake-inspection-engine';

export class RecordedDiagnostics implements Pick<DiagnosticsService, 'event'> {
  readonly events: Array<{ event: string; fields: Record<string, unknown> }> = [];
  event(event: string, fields: Record<string, unknown> = {}): void {
    this.events.push({ event, fields });
  }
  names(): string[] {
    return this.events.map((e) => e.event);
  }
}

export interface InspectionKit {
  root: string;
  config: AppConfig;
  store: ModelStore;
  engine: FakeInspectionEngine;
  diagnostics: RecordedDiagnostics;
  fit: FitService;
  calibration: CalibrationService;
  scoring: ScoringService;
  modelState: ModelStateService;
  cleanup(): void;
}

export function newInspectionServices(env: Record<string, string> = {}): InspectionKit {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-inspection-'));
  const config = loadConfig({ BDI_MODELS_DIR: root, BDI_GUI_LOG_DIR: path.join(root, 'logs'), ...env }, { cwd: root, cpus: 1 });
  const store = new ModelStore(config);
  const engine = new FakeInspectionEngine();
  const diagnostics = new RecordedDiagnostics();
  const inspectionDiagnostics = new InspectionDiagnostics(config, store, diagnostics as unknown as DiagnosticsService);
  const artifacts = new ModelArtifacts(config, store, inspectionDiagnostics);
  const scoring = new ScoringService(config, engine, store, artifacts, inspectionDiagnostics);
  return {
    root,
    config,
    store,
    engine,
    diagnostics,
    fit: new FitService(config, engine, store, artifacts, inspectionDiagnostics),
    calibration: new CalibrationService(store, artifacts, scoring, inspectionDiagnostics),
    scoring,
    modelState: new ModelStateService(config, store, artifacts, inspectionDiagnostics),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** A small gray PNG (real bytes: the services probe image headers). */
export function grayPng(width = 32, height = 24, level = 128): Promise<Buffer> {
  return sharp(Buffer.alloc(width * height, level), { raw: { width, height, channels: 1 } }).png().toBuffer();
}

/** Stands in for a fitted model: a memory file and a calibration with `threshold`. */
export function seedModel(kit: InspectionKit, ref: ModelRef, threshold: number | null): void {
  const memory = kit.store.artifactPath(ref, 'memory');
  fs.mkdirSync(path.dirname(memory), { recursive: true });
  fs.writeFileSync(memory, 'npz');
  if (threshold !== null) fs.writeFileSync(kit.store.artifactPath(ref, 'calib'), JSON.stringify({ threshold, score_percentile: 99, area_mm2_thr: 1 }));
}
