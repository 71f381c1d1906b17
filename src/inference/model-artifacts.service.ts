// The model's artifacts as the inspection services read them: the memory/index/calib probe, the calib JSON, the
// npz loadability cache and dataset samples. All file access goes through ModelStore.
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeMemoryNpz } from '../engine/npz';
import type { MemoryArtifactRef } from '../engine/memory-cache';
import { DatasetBase, DatasetLabel, FileStats, ModelRef, ModelStore, ResolvedArtifact, parseLenientJson, stemOf } from '../recipes/model-store';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { parseShape } from './infer-wire';
import { InspectionDiagnostics } from './inspection-diagnostics.service';
import type { ParsedShape } from './inference.types';

export interface CalibInfo {
  path: string | null;
  raw: Record<string, unknown> | null;
  threshold: number | null;
  scorePercentile: number;
  areaMm2Thr: number;
}

export interface Probe {
  memory: ResolvedArtifact;
  index: ResolvedArtifact;
  calib: ResolvedArtifact;
}

export interface Sample {
  bytes: Uint8Array;
  mmPerPx: number;
  shape: ParsedShape;
}

@Injectable()
export class ModelArtifacts {
  private readonly loadable = new Map<string, { key: string; ok: boolean }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  /** Resolves memory, index and calib of a model (a diagnostics event for each one not found). */
  async probe(ref: ModelRef): Promise<Probe> {
    const [memory, index, calib] = await Promise.all([
      this.store.resolveArtifact(ref, 'memory'),
      this.store.resolveArtifact(ref, 'index'),
      this.store.resolveArtifact(ref, 'calib'),
    ]);
    for (const artifact of [memory, index, calib]) {
      if (!artifact.path) this.diagnostics.artifactNotFound(ref, artifact);
    }
    return { memory, index, calib };
  }

  /** The calib JSON of either producer; threshold null when missing or not > 0. */
  async readCalib(resolved: ResolvedArtifact): Promise<CalibInfo> {
    const defaults = { scorePercentile: this.config.inference.scorePercentile, areaMm2Thr: this.config.inference.areaMm2Thr };
    if (!resolved.path) return { path: null, raw: null, threshold: null, ...defaults };
    const raw = await this.store.readJson(resolved.path);
    const threshold = typeof raw.threshold === 'number' && Number.isFinite(raw.threshold) && raw.threshold > 0 ? raw.threshold : null;
    const pct = typeof raw.score_percentile === 'number' && Number.isFinite(raw.score_percentile) ? Math.trunc(raw.score_percentile) : defaults.scorePercentile;
    const area = typeof raw.area_mm2_thr === 'number' && Number.isFinite(raw.area_mm2_thr) ? raw.area_mm2_thr : defaults.areaMm2Thr;
    return { path: resolved.path, raw, threshold, scorePercentile: pct, areaMm2Thr: area };
  }

  /** Writes the calib JSON under the model lock; returns its path. */
  async writeCalib(ref: ModelRef, content: Record<string, unknown>): Promise<string> {
    const file = this.store.artifactPath(ref, 'calib');
    await this.store.withModelLock(ref, () => this.store.writeJson(file, content));
    return file;
  }

  /** Whether the resolved npz parses (cached by path, size and mtime). */
  async memoryLoadable(memory: ResolvedArtifact): Promise<boolean> {
    if (!memory.path || !memory.stats) return false;
    const key = `${memory.stats.size}:${memory.stats.mtimeMs}`;
    const cached = this.loadable.get(memory.path);
    if (cached && cached.key === key) return cached.ok;
    let ok = true;
    try {
      decodeMemoryNpz(await this.store.readFile(memory.path), memory.path);
    } catch (error) {
      ok = false;
      this.diagnostics.memoryUnreadable(memory.path, error);
    }
    if (this.loadable.size > this.config.storage.cacheMaxEntries) this.loadable.clear();
    this.loadable.set(memory.path, { key, ok });
    return ok;
  }

  /** A model was (re)written: forget what was known about loadability. */
  forgetLoadability(): void {
    this.loadable.clear();
  }

  /** One dataset sample for scoring: bytes, mm_per_px (meta key, else default) and the meta's shape. */
  async readSample(base: DatasetBase, label: DatasetLabel, filename: string, defaultMm: unknown): Promise<Sample> {
    const file = this.store.sampleFilePath(base, label, filename);
    if (!(await this.store.fileStats(file))) throw new ApiError('file_not_found');
    let meta: Record<string, unknown> = {};
    const metaPath = this.store.sampleFilePath(base, label, `${stemOf(filename)}.json`);
    if (await this.store.fileStats(metaPath)) {
      const parsed = parseLenientJson((await this.store.readFile(metaPath)).toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
    }
    const mmRaw = 'mm_per_px' in meta ? meta.mm_per_px : defaultMm;
    if (mmRaw === null || mmRaw === undefined) throw new ApiError('bad_request', 'mm_per_px missing and default_mm_per_px not provided');
    const mmPerPx = validateMmPerPx(mmRaw);
    let shape: ParsedShape = null;
    const shapeJson = meta.shape_json;
    if (typeof shapeJson === 'string' && shapeJson.trim() !== '') shape = parseShape(shapeJson);
    else if (shapeJson && typeof shapeJson === 'object' && !Array.isArray(shapeJson)) shape = shapeJson as ParsedShape;
    return { bytes: await this.store.readFile(file), mmPerPx, shape };
  }
}

/** The engine's reference to a probed memory (the caller checked that it exists). */
export function memoryRef(probe: Probe): MemoryArtifactRef {
  return {
    npzPath: probe.memory.path as string,
    npzMtimeMs: (probe.memory.stats as FileStats).mtimeMs,
    indexPath: probe.index.path,
    indexMtimeMs: probe.index.stats?.mtimeMs ?? null,
  };
}
