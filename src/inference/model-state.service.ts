// /manifest and /state: what a model has (memory loadable, calib, dataset), read without changing anything.
import { Inject, Injectable } from '@nestjs/common';
import * as path from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ModelStore } from '../recipes/model-store';
import { roiIndexGuess, sanitizeModelKey } from '../recipes/model-paths';
import { FIT_RULE, InspectionDiagnostics } from './inspection-diagnostics.service';
import { ManifestResponse, RefusedFallbackResponse, StateResponse } from './dto/inspection-responses.dto';
import { ArtifactQueryInput } from './inference.types';
import { ModelArtifacts, Probe } from './model-artifacts.service';

@Injectable()
export class ModelStateService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: ModelStore,
    private readonly artifacts: ModelArtifacts,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  async manifest(input: ArtifactQueryInput): Promise<ManifestResponse> {
    this.diagnostics.event('manifest.request', input);
    const probe = await this.artifacts.probe(input);
    const hasMemory = await this.artifacts.memoryLoadable(probe.memory);
    const calib = probe.calib.path ? await this.store.readJson(probe.calib.path) : null;
    const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
    const listing = await this.store.listDataset(base);
    const classes = Object.fromEntries(
      Object.entries(listing).map(([label, entry]) => [label, { count: entry.files.length, files: entry.files, meta: entry.meta }]),
    );
    this.diagnostics.event('manifest.response', input, { has_memory: hasMemory, datasets: Object.keys(classes) });
    return {
      role_id: input.roleId,
      roi_id: input.roiId,
      recipe_id: input.recipeId,
      model_key: sanitizeModelKey(input.modelKey),
      memory: hasMemory,
      detector: await this.artifacts.detector(probe.memory),
      calib,
      datasets: { role_id: input.roleId, roi_id: input.roiId, classes },
      request_id: input.requestId,
      ...this.artifacts.provenance(probe),
      ...refusedFields(probe),
    };
  }

  async state(input: ArtifactQueryInput): Promise<StateResponse> {
    this.diagnostics.event('state.request', input);
    const probe = await this.artifacts.probe(input);
    const fitted = await this.artifacts.memoryLoadable(probe.memory);
    let calibPresent = false;
    let threshold: number | null = null;
    // /state is a probe: an unreadable artifact reads as absent (memory_fitted/calib_present false) and is named
    // under `corrupt_artifacts`, while /infer answers 500 corrupt_artifact for the same files.
    const corrupt: string[] = [];
    if (probe.memory.path && !fitted) corrupt.push(path.relative(this.store.root, probe.memory.path));
    if (probe.calib.path) {
      try {
        const calib = await this.store.readJson(probe.calib.path);
        calibPresent = true;
        threshold = typeof calib.threshold === 'number' ? calib.threshold : null;
      } catch {
        calibPresent = false;
        corrupt.push(path.relative(this.store.root, probe.calib.path));
      }
    }
    const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
    const listing = await this.store.listDataset(base);
    const okCount = listing.ok?.files.length ?? 0;
    this.diagnostics.event('state.response', input, {
      ...this.artifacts.provenance(probe),
      fitted,
      has_calib: calibPresent,
      threshold,
      has_fit_ok: fitted,
      fit_ok_rule: FIT_RULE,
      faiss_available: true,
      probe_artifacts: this.diagnostics.probeFields(input, probe),
      roi_index_guess: roiIndexGuess(input.roiId),
      dataset_base: base?.path ?? null,
      dataset_ok_count: okCount,
      dataset_ng_count: listing.ng?.files.length ?? 0,
      dataset_classes: Object.keys(listing),
      ...(!fitted && okCount < this.config.training.minOkSamples ? { reason: 'insufficient_ok_samples' } : {}),
      ...(corrupt.length > 0 ? { corrupt_artifacts: corrupt } : {}),
    });
    return {
      status: 'ok',
      memory_fitted: fitted,
      calib_present: calibPresent,
      ...(corrupt.length > 0 ? { reason: 'corrupt_artifact', corrupt_artifacts: corrupt } : {}),
      ...refusedFields(probe),
      request_id: input.requestId,
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
      ...this.artifacts.provenance(probe),
    };
  }
}

/** BDI_STRICT_RECIPES=1: what a fallback would have served (the model then reads as absent). */
function refusedFields(probe: Probe): { reason?: string; refused_fallbacks?: RefusedFallbackResponse[] } {
  return probe.refusedFallbacks.length > 0 ? { reason: 'model_not_found', refused_fallbacks: probe.refusedFallbacks } : {};
}
