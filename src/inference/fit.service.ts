// /fit_ok and the fit-ok job: builds a model's memory bank (and FAISS index) from uploaded images or the OK samples
// of its dataset, under the model lock.
import { describeProfile } from '../engine/profile/detector-profile';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DatasetBase, ModelStore } from '../recipes/model-store';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { mapEngineError } from './engine-errors';
import type { FitImageError } from '../engine/pool-protocol';
import { UnusableSample, unusableSamplesError } from './unusable-samples';
import { EngineRunOptions, INSPECTION_ENGINE, INTERACTIVE, InspectionEngine } from './inspection-engine';
import { InspectionDiagnostics, elapsedMs, statsFields } from './inspection-diagnostics.service';
import { FitOkResponse } from './dto/inspection-responses.dto';
import { FitOkInput } from './inference.types';
import { ModelArtifacts, memoryRef } from './model-artifacts.service';

const CORESET_SEED = 0;

@Injectable()
export class FitService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSPECTION_ENGINE) private readonly engine: InspectionEngine,
    private readonly store: ModelStore,
    private readonly artifacts: ModelArtifacts,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  /**
   * Reads the new memory into the workers in the background (not awaited): the first inspection after a fit then
   * finds it loaded. A failure only costs that first inspection the load; the diagnostics event says which.
   */
  private preload(input: FitOkInput): void {
    const started = performance.now();
    void this.artifacts
      .probe(input)
      .then((probe) => this.engine.preload(memoryRef(probe)))
      .then(
        (workers) => this.diagnostics.event('fit_ok.preloaded', input, { workers_loaded: workers, elapsed_ms: elapsedMs(started) }),
        (error: unknown) => this.diagnostics.event('fit_ok.preload_failed', input, { error: error instanceof Error ? error.message : String(error) }),
      );
  }

  async fitOk(input: FitOkInput, run: EngineRunOptions = INTERACTIVE): Promise<FitOkResponse> {
    const started = performance.now();
    try {
      validateMmPerPx(input.mmPerPx);
      if (this.config.training.datasetOnly && !input.useDataset) throw new ApiError('training_dataset_only');
      if (!input.useDataset && input.images.length === 0) throw new ApiError('no_images');
      await this.store.ensureMmPerPx(input.recipeId, input.mmPerPx);

      const base = input.useDataset
        ? await this.artifacts.datasetBase(input)
        : await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
      const listing = await this.store.listDataset(base);
      this.diagnostics.event('fit_ok.request', input, {
        n_files: input.images.length,
        memory_fit: input.memoryFit,
        use_dataset: input.useDataset,
        mm_per_px: input.mmPerPx,
        recipe_id_raw: input.recipeIdRaw ?? null,
        model_key_raw: input.modelKeyRaw ?? null,
        dataset_base: base?.path ?? null,
        dataset_ok_count: listing.ok?.files.length ?? 0,
        dataset_ng_count: listing.ng?.files.length ?? 0,
        dataset_classes: Object.keys(listing),
        expected_memory_path: this.store.artifactPath(input, 'memory'),
        expected_index_path: this.store.artifactPath(input, 'index'),
        expected_calib_path: this.store.artifactPath(input, 'calib'),
      });

      let images: Array<{ name: string; path?: string; bytes?: Uint8Array }>;
      if (input.useDataset) {
        const okFiles = listing.ok?.files ?? [];
        this.diagnostics.event('fit_ok.dataset', input, {
          dataset_base: base?.path ?? null,
          ok_count: okFiles.length,
          ng_count: listing.ng?.files.length ?? 0,
          ok_files_sample: okFiles.slice(0, 10),
          ok_files_sampled: Math.min(10, okFiles.length),
        });
        if (okFiles.length === 0) throw new ApiError('no_ok_samples');
        const min = this.config.training.minOkSamples;
        if (okFiles.length < min) {
          throw new ApiError('insufficient_ok_samples', `Insufficient OK samples: need at least ${min}, found ${okFiles.length}`, {
            min_ok_samples: min,
            found: okFiles.length,
          });
        }
        images = okFiles.map((name) => ({ name, path: this.store.sampleFilePath(base as DatasetBase, 'ok', name) }));
      } else {
        images = input.images.map((image) => ({ name: image.name, bytes: image.bytes }));
      }

      const coresetRate = input.memoryFit ? 1 : this.config.inference.coresetRate;
      const { fit, written } = await this.store.withModelLock(input, async (lease) => {
        this.diagnostics.event('fit_ok.lock_acquired', input, { node: this.config.jobs.nodeId });
        const fit = await this.engine
          .fit(
            {
              images,
              coresetRate,
              seed: CORESET_SEED,
              encodeArtifacts: true,
              onImageError: 'fail',
              ...(this.config.inference.selfTuning ? { tune: {} } : {}),
            },
            run,
          )
          .catch(async (error: unknown) => {
            const files = (error as { details?: { files?: unknown } })?.details?.files;
            if (input.useDataset && base && Array.isArray(files) && files.length > 0) throw await this.unusable(base, files as FitImageError[]);
            throw mapEngineError(error, '/infer', this.store.root);
          });
        // An aborted job (cancel/timeout) must not replace the model it was about to overwrite.
        if (run.signal?.aborted) throw new ApiError('aborted', 'Fit aborted before its model was written');
        if (!fit.npzBytes) throw new Error('fit returned no npz bytes');
        // Another node may have taken the model over if this node's lease lapsed (Redis down longer than the lease).
        lease.assertHeld();
        const written = await this.store.writeModel(input, { indexBytes: fit.indexBytes ?? null, npzBytes: fit.npzBytes });
        this.artifacts.forgetLoadability();
        this.diagnostics.event('fit_ok.lock_releasing', input, { node: this.config.jobs.nodeId, model_version: written.version });
        return { fit, written };
      });
      this.preload(input);
      const memoryStats = await this.store.fileStats(written.memoryPath);
      const indexStats = written.indexPath ? await this.store.fileStats(written.indexPath) : null;
      this.diagnostics.event('fit_ok.response', input, {
        elapsed_ms: elapsedMs(started),
        n_embeddings: fit.nEmbeddings,
        coreset_size: fit.m,
        fitted_after: true,
        memory_path_written: written.memoryPath,
        index_path_written: written.indexPath,
        model_version: written.version,
        ...statsFields('memory', memoryStats),
        ...statsFields('index', indexStats),
        timings_ms: fit.timingsMs,
        detector_profile: describeProfile(fit.profile),
        tuning: fit.tuning ? { tuned: fit.tuning.tuned, reason: fit.tuning.reason ?? null, baseline: fit.tuning.baseline, chosen: fit.tuning.chosen, ms: fit.tuning.ms } : null,
      });
      return {
        n_embeddings: fit.nEmbeddings,
        coreset_size: fit.m,
        token_shape: [fit.tokenH, fit.tokenW],
        coreset_rate_requested: coresetRate,
        coreset_rate_applied: fit.m / fit.nEmbeddings,
        detector_profile: describeProfile(fit.profile),
        request_id: input.requestId,
        recipe_id: input.recipeId,
      };
    } catch (error) {
      this.diagnostics.error('fit_ok.error', input, error, started);
      throw error;
    }
  }

  /** Every stored OK sample the fit could not decode, by the client's file name. */
  private async unusable(base: DatasetBase, files: FitImageError[]): Promise<ApiError> {
    const samples: UnusableSample[] = [];
    for (const f of files) {
      samples.push({ label: 'ok', filename: f.name, original_filename: await this.artifacts.originalName(base, 'ok', f.name), code: f.code, reason: f.message });
    }
    return unusableSamplesError(samples);
  }
}
