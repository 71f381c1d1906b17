// Every diagnostics event of the inspection operations, built in one place: the services say what happened, this
// class knows the event names and field names the original's diagnostics log used.
import { Inject, Injectable } from '@nestjs/common';
import { promises as fsp } from 'node:fs';
import { ApiError } from '../common/errors/api-error';
import { DiagnosticsService } from '../common/diagnostics/diagnostics.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FileStats, ModelRef, ModelStore, ResolvedArtifact } from '../recipes/model-store';
import { roiIndexGuess, sanitizeModelKey } from '../recipes/model-paths';
import type { Probe } from './model-artifacts.service';

export const FIT_RULE = 'memory_exists (index rebuilt from the npz when _index.faiss is absent)';

/** The identity of one inspection request, as every event carries it. */
export type RequestRef = ModelRef & { requestId: string };
export type EventFields = Record<string, unknown>;

@Injectable()
export class InspectionDiagnostics {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly diagnostics: DiagnosticsService,
  ) {}

  /** One event with the request's ids first. */
  event(name: string, ref: RequestRef, fields: EventFields = {}): void {
    this.diagnostics.event(name, { ...ids(ref), ...fields });
  }

  /** `<op>.error` with the error's type and message (a handled 4xx reads as bad_request). */
  error(name: string, ref: RequestRef, error: unknown, started: number): void {
    const handled = error instanceof ApiError && error.status < 500;
    this.event(name, ref, {
      error_type: handled ? 'bad_request' : ((error as Error)?.name ?? 'Error'),
      error_message: (error as Error)?.message ?? String(error),
      elapsed_ms: elapsedMs(started),
    });
  }

  artifactNotFound(ref: ModelRef, artifact: ResolvedArtifact): void {
    this.diagnostics.event(`storage.resolve_${artifact.kind}.not_found`, {
      role_id: ref.roleId,
      roi_id: ref.roiId,
      recipe_id_effective: ref.recipeId,
      model_key_effective: sanitizeModelKey(ref.modelKey),
      probed_paths: artifact.probed,
    });
  }

  memoryUnreadable(file: string, error: unknown): void {
    this.diagnostics.event('storage.memory_unreadable', { path: file, error: (error as Error).message });
  }

  /** The probe as the `infer.probe` and `state.response` events show it. */
  probeFields(ref: ModelRef, probe: Probe): EventFields {
    const fields: EventFields = {
      recipe_id_effective: ref.recipeId,
      model_key_effective: ref.modelKey,
      models_dir: this.store.root,
    };
    for (const artifact of [probe.memory, probe.index, probe.calib]) {
      fields[`expected_${artifact.kind}_path`] = artifact.expectedPath;
      fields[`resolved_${artifact.kind}_path`] = artifact.path;
      Object.assign(fields, statsFields(artifact.kind, artifact.stats));
    }
    return fields;
  }

  /** `infer.not_fitted`: what was expected where, what the directory holds and what the dataset offers. */
  async notFitted(ref: RequestRef, probe: Probe, why: string): Promise<void> {
    const base = await this.store.resolveDatasetBase(ref.recipeId, ref.roleId, ref.roiId);
    const listing = await this.store.listDataset(base);
    const expectedDir = this.store.modelDir(ref.recipeId, ref.modelKey);
    let listing20: string[] = [];
    let listError: string | null = null;
    try {
      listing20 = (await fsp.readdir(expectedDir)).sort().slice(0, 20);
    } catch (error) {
      listError = (error as Error).message;
    }
    const okCount = listing.ok?.files.length ?? 0;
    this.event('infer.not_fitted', ref, {
      expected_memory_path: probe.memory.expectedPath,
      resolved_memory_path: probe.memory.path,
      memory_exists: probe.memory.path !== null,
      index_exists: probe.index.path !== null,
      faiss_available: true,
      expected_dir: expectedDir,
      dir_listing: listing20,
      list_error: listError,
      roi_index_guess: roiIndexGuess(ref.roiId),
      dataset_base: base?.path ?? null,
      dataset_ok_count: okCount,
      dataset_ng_count: listing.ng?.files.length ?? 0,
      dataset_classes: Object.keys(listing),
      hint: 'call fit_ok',
      why_not_fitted: why,
      ...(okCount < this.config.training.minOkSamples ? { reason: 'insufficient_ok_samples' } : {}),
    });
  }

  /** `calibrate.saved` with the written file's stats. */
  async calibSaved(ref: RequestRef, calibPath: string, threshold: number): Promise<void> {
    this.event('calibrate.saved', ref, { calib_path_written: calibPath, threshold, ...statsFields('calib', await this.store.fileStats(calibPath)) });
  }
}

export function ids(ref: RequestRef): EventFields {
  return { request_id: ref.requestId, recipe_id: ref.recipeId, role_id: ref.roleId, roi_id: ref.roiId, model_key: ref.modelKey };
}

export function statsFields(kind: string, stats: FileStats | null): EventFields {
  return { [`${kind}_exists`]: stats !== null, [`${kind}_size`]: stats?.size ?? null, [`${kind}_mtime_utc`]: stats?.mtimeUtc ?? null };
}

export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
