// The inspection operations (fit, calibration, inference, dataset scoring, state). One implementation per
// operation: the HTTP routes and the job handlers call these methods with plain typed inputs.
import { Inject, Injectable } from '@nestjs/common';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { ApiError } from '../common/errors/api-error';
import { DiagnosticsService } from '../common/diagnostics/diagnostics.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { chooseThreshold } from '../engine/calibration';
import { isBmp } from '../engine/bmp';
import { decodeMemoryNpz } from '../engine/npz';
import { percentile } from '../engine/percentile';
import type { InferOutput } from '../engine/pool-protocol';
import type { Region } from '../engine/types';
import { DatasetBase, DatasetLabel, FileStats, ModelRef, ModelStore, ResolvedArtifact, stemOf, parseLenientJson } from '../recipes/model-store';
import { roiIndexGuess, sanitizeModelKey } from '../recipes/model-paths';
import { PyFloat, pythonUtcIso } from '../recipes/python-float';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { INSPECTION_ENGINE, InspectionEngine } from './inspection-engine';
import {
  ArtifactQueryInput,
  CalibrateDatasetInput,
  CalibrateNgInput,
  FitOkInput,
  FitOkResult,
  InferDatasetInput,
  InferRegion,
  InferRequestInput,
  InferResult,
  ParsedShape,
} from './inference.types';

const FIT_RULE = 'memory_exists (index rebuilt from the npz when _index.faiss is absent)';
const CORESET_SEED = 0;

interface CalibInfo {
  path: string | null;
  raw: Record<string, unknown> | null;
  threshold: number | null;
  scorePercentile: number;
  areaMm2Thr: number;
}

interface Probe {
  memory: ResolvedArtifact;
  index: ResolvedArtifact;
  calib: ResolvedArtifact;
}

/** Where a "memory missing" message points the user; the GUI matches the /infer wording. */
type MemoryRoute = '/infer' | '/infer_dataset' | '/calibrate_dataset';

@Injectable()
export class InferenceService {
  private readonly loadable = new Map<string, { key: string; ok: boolean }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSPECTION_ENGINE) private readonly engine: InspectionEngine,
    private readonly store: ModelStore,
    private readonly diagnostics: DiagnosticsService,
  ) {}

  // ================================================================= /fit_ok

  async fitOk(input: FitOkInput, signal?: AbortSignal): Promise<FitOkResult> {
    const started = performance.now();
    const ids = this.ids(input);
    try {
      validateMmPerPx(input.mmPerPx);
      if (this.config.training.datasetOnly && !input.useDataset) throw new ApiError('training_dataset_only');
      if (!input.useDataset && input.images.length === 0) throw new ApiError('no_images');
      await this.store.ensureMmPerPx(input.recipeId, input.mmPerPx);

      const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
      const listing = await this.store.listDataset(base);
      this.diagnostics.event('fit_ok.request', {
        ...ids,
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
        this.diagnostics.event('fit_ok.dataset', {
          ...ids,
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
      const result = await this.store.withModelLock(input, async () => {
        const fit = await this.engine
          .fit({ images, coresetRate, seed: CORESET_SEED, encodeArtifacts: true, onImageError: 'fail' }, { signal })
          .catch((error: unknown) => {
            throw mapEngineError(error, '/infer', this.store.root);
          });
        // An aborted job (cancel/timeout) must not replace the model it was about to overwrite.
        if (signal?.aborted) throw new ApiError('aborted', 'Fit aborted before its model was written');
        if (!fit.npzBytes) throw new Error('fit returned no npz bytes');
        const written = await this.store.writeModel(input, { indexBytes: fit.indexBytes ?? null, npzBytes: fit.npzBytes });
        this.loadable.clear();
        return { fit, written };
      });
      const { fit, written } = result;
      const memoryStats = await this.store.fileStats(written.memoryPath);
      const indexStats = written.indexPath ? await this.store.fileStats(written.indexPath) : null;
      this.diagnostics.event('fit_ok.response', {
        ...ids,
        elapsed_ms: elapsedMs(started),
        n_embeddings: fit.nEmbeddings,
        coreset_size: fit.m,
        fitted_after: true,
        memory_path_written: written.memoryPath,
        index_path_written: written.indexPath,
        ...statsFields('memory', memoryStats),
        ...statsFields('index', indexStats),
        timings_ms: fit.timingsMs,
      });
      return {
        n_embeddings: fit.nEmbeddings,
        coreset_size: fit.m,
        token_shape: [fit.tokenH, fit.tokenW],
        coreset_rate_requested: coresetRate,
        coreset_rate_applied: fit.m / fit.nEmbeddings,
        request_id: input.requestId,
        recipe_id: input.recipeId,
      };
    } catch (error) {
      this.errorEvent('fit_ok.error', error, ids, started);
      throw error;
    }
  }

  // ================================================================= /calibrate_ng

  async calibrateNg(input: CalibrateNgInput): Promise<Record<string, unknown>> {
    const started = performance.now();
    const ids = this.ids(input);
    this.diagnostics.event('calibrate_ng.request', {
      ...ids,
      ok_count: input.okScores.length,
      ng_count: input.ngScores.length,
      mm_per_px: input.mmPerPx,
      area_mm2_thr: input.areaMm2Thr,
      score_percentile: input.scorePercentile,
    });
    try {
      if (input.okScores.length === 0) throw new ApiError('calibration_failed', 'Se requiere al menos 1 score OK para calibrar');
      checkPercentile(input.scorePercentile);
      const threshold = chooseThreshold(input.okScores, input.ngScores, input.scorePercentile);
      const okMean = mean(input.okScores);
      const ngMean = input.ngScores.length > 0 ? mean(input.ngScores) : 0;
      const p99Ok = percentile(input.okScores, input.scorePercentile);
      const p5Ng = input.ngScores.length > 0 ? percentile(input.ngScores, 5) : null;
      const body = {
        threshold,
        ok_mean: okMean,
        ng_mean: ngMean,
        p99_ok: p99Ok,
        p5_ng: p5Ng,
        mm_per_px: input.mmPerPx,
        area_mm2_thr: input.areaMm2Thr,
        score_percentile: input.scorePercentile,
        request_id: input.requestId,
        recipe_id: input.recipeId,
      };
      const calibPath = await this.writeCalib(input, {
        ...body,
        threshold: new PyFloat(threshold),
        ok_mean: new PyFloat(okMean),
        ng_mean: new PyFloat(ngMean),
        p99_ok: new PyFloat(p99Ok),
        p5_ng: p5Ng === null ? null : new PyFloat(p5Ng),
        mm_per_px: new PyFloat(input.mmPerPx),
        area_mm2_thr: new PyFloat(input.areaMm2Thr),
      });
      const calibStats = await this.store.fileStats(calibPath);
      this.diagnostics.event('calibrate.saved', { ...ids, calib_path_written: calibPath, threshold, ...statsFields('calib', calibStats) });
      this.diagnostics.event('calibrate_ng.response', {
        ...ids,
        elapsed_ms: elapsedMs(started),
        threshold,
        ok_mean: okMean,
        ng_mean: ngMean,
        p99_ok: p99Ok,
        p5_ng: p5Ng,
      });
      return body;
    } catch (error) {
      const handled = error instanceof ApiError && error.status < 500;
      this.diagnostics.event(handled ? 'calibrate_ng.bad_request' : 'calibrate_ng.error', {
        ...ids,
        error: (error as Error).message,
        ...(handled ? {} : { trace: (error as Error).stack ?? null }),
      });
      throw error;
    }
  }

  // ================================================================= /infer

  /** `signal`: set by the `infer` job; a job waits for pool capacity where the synchronous route gets 503. */
  async infer(input: InferRequestInput, signal?: AbortSignal): Promise<InferResult> {
    const started = performance.now();
    const ids = this.ids(input);
    try {
      validateMmPerPx(input.mmPerPx);
      await this.store.ensureMmPerPx(input.recipeId, input.mmPerPx);
      const imageShape = await probeImage(input.image, this.config.inference.maxImagePixels);

      const probe = await this.probe(input);
      const calib = await this.readCalib(input, probe.calib);
      this.diagnostics.event('infer.request', {
        ...ids,
        image_shape: [imageShape.height, imageShape.width, 3],
        image_bytes_len: input.image.length,
        mm_per_px: input.mmPerPx,
        threshold: calib.threshold,
        has_fit_ok: probe.memory.path !== null,
        fit_ok_rule: FIT_RULE,
        faiss_available: true,
        shape_present: input.shape !== undefined && input.shape !== null && input.shape !== '',
      });
      this.diagnostics.event('infer.probe', { ...ids, probe: this.probeFields(input, probe) });
      if (!probe.memory.path || !probe.memory.stats) {
        await this.notFittedEvent(input, probe, 'memory_missing');
        throw memoryNotFitted('/infer');
      }
      if (calib.threshold === null) {
        this.diagnostics.event('infer.calibration_missing', { ...ids, calib_path: calib.path });
        throw new ApiError('calibration_missing', undefined, { calib_path: calib.path });
      }
      const shape = parseShape(input.shape);
      const threshold = calib.threshold;
      let output: InferOutput;
      try {
        output = await this.engine.infer({
          image: input.image,
          memory: memoryRef(probe),
          shape,
          threshold,
          scorePercentile: calib.scorePercentile,
          areaMm2Thr: calib.areaMm2Thr,
          mmPerPx: input.mmPerPx,
          // Without include_heatmap the heatmap goes only with an NG decision, known after scoring.
          wantHeatmap: input.includeHeatmap !== false,
        }, { signal });
      } catch (error) {
        const mapped = mapEngineError(error, '/infer', this.store.root);
        if (mapped.code === 'memory_not_fitted') await this.notFittedEvent(input, probe, 'memory_unreadable');
        throw mapped;
      }
      const score = Number.isFinite(output.score) ? output.score : 0;
      const decision = score >= threshold ? 'ng' : 'ok';
      const withHeatmap = input.includeHeatmap === true || (input.includeHeatmap === undefined && decision === 'ng');
      const regions = (output.regions ?? []).map(withBoxFields);
      this.diagnostics.event('infer.response', {
        ...ids,
        elapsed_ms: elapsedMs(started),
        score,
        threshold,
        decision,
        n_regions: regions.length,
        timings_ms: output.timings,
        memory_loaded: output.memoryLoaded,
      });
      return {
        score,
        threshold,
        token_shape: output.tokenShape,
        heatmap_png_base64: withHeatmap && output.heatmapPng ? Buffer.from(output.heatmapPng).toString('base64') : null,
        regions,
        request_id: input.requestId,
        recipe_id: input.recipeId,
        decision,
      };
    } catch (error) {
      this.errorEvent('infer.error', error, ids, started);
      throw error;
    }
  }

  // ================================================================= /infer_dataset

  async inferDataset(input: InferDatasetInput, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const probe = await this.probe(input);
    if (!probe.memory.path) throw memoryNotFitted('/infer_dataset');
    const calib = await this.readCalib(input, probe.calib);
    if (calib.threshold === null) throw new ApiError('calibration_missing', undefined, { calib_path: calib.path });
    const threshold = calib.threshold;
    const memory = memoryRef(probe);
    const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
    const listing = await this.store.listDataset(base);
    const work: Array<{ label: DatasetLabel; filename: string }> = [];
    for (const label of input.labels) {
      if (label !== 'ok' && label !== 'ng') continue;
      for (const filename of listing[label]?.files ?? []) work.push({ label, filename });
    }
    const items = await mapBounded(work, this.parallelism(), async ({ label, filename }) => {
      if (signal?.aborted) throw new ApiError('aborted', 'Dataset inference aborted');
      const item: Record<string, unknown> = {
        label,
        filename,
        mm_per_px: null,
        score: null,
        threshold,
        regions: [],
        n_regions: 0,
        error: null,
      };
      try {
        const sample = await this.readSample(base as DatasetBase, label, filename, input.defaultMmPerPx);
        const output = await this.engine.infer(
          {
            image: sample.bytes,
            memory,
            shape: sample.shape,
            threshold,
            scorePercentile: calib.scorePercentile,
            areaMm2Thr: calib.areaMm2Thr,
            mmPerPx: sample.mmPerPx,
            wantHeatmap: input.includeHeatmap,
          },
          { signal },
        );
        item.mm_per_px = sample.mmPerPx;
        item.score = output.score;
        item.regions = output.regions ?? [];
        item.n_regions = (output.regions ?? []).length;
        if (input.includeHeatmap && output.heatmapPng) item.heatmap_png_base64 = Buffer.from(output.heatmapPng).toString('base64');
      } catch (error) {
        if (signal?.aborted) throw new ApiError('aborted', 'Dataset inference aborted');
        const mapped = mapEngineError(error, '/infer_dataset', this.store.root);
        if (MODEL_OR_POOL_FAILURES.has(mapped.code)) throw mapped;
        item.error = itemErrorMessage(mapped, filename);
      }
      return item;
    });
    return {
      status: 'ok',
      role_id: input.roleId,
      roi_id: input.roiId,
      recipe_id: input.recipeId,
      model_key: input.modelKey,
      request_id: input.requestId,
      n_total: items.length,
      n_errors: items.filter((i) => i.error !== null).length,
      items,
    };
  }

  // ================================================================= /calibrate_dataset

  async calibrateDataset(input: CalibrateDatasetInput, signal?: AbortSignal): Promise<Record<string, unknown>> {
    checkPercentile(input.scorePercentile);
    const probe = await this.probe(input);
    if (!probe.memory.path) throw memoryNotFitted('/calibrate_dataset');
    const memory = memoryRef(probe);
    const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
    const listing = await this.store.listDataset(base);
    const scoreLabel = async (label: DatasetLabel): Promise<number[]> => {
      const files = listing[label]?.files ?? [];
      const scores = await mapBounded(files, this.parallelism(), async (filename) => {
        if (signal?.aborted) throw new ApiError('aborted', 'Calibration aborted');
        try {
          const sample = await this.readSample(base as DatasetBase, label, filename, input.defaultMmPerPx);
          const output = await this.engine.infer(
            {
              image: sample.bytes,
              memory,
              shape: sample.shape,
              threshold: null,
              scorePercentile: input.scorePercentile,
              areaMm2Thr: input.areaMm2Thr,
              mmPerPx: sample.mmPerPx,
              wantHeatmap: false,
            },
            { signal },
          );
          return output.score;
        } catch (error) {
          if (signal?.aborted) throw new ApiError('aborted', 'Calibration aborted');
          const mapped = mapEngineError(error, '/calibrate_dataset', this.store.root);
          // Like the original, a sample that cannot be scored is skipped; a broken model or pool is not.
          if (MODEL_OR_POOL_FAILURES.has(mapped.code)) throw mapped;
          return null;
        }
      });
      return scores.filter((s): s is number => s !== null && Number.isFinite(s));
    };
    const okScores = await scoreLabel('ok');
    const ngScores = await scoreLabel('ng');
    if (okScores.length === 0) throw new ApiError('no_valid_ok_samples');
    if (input.requireNg && ngScores.length === 0) throw new ApiError('no_ng_samples');
    const threshold = chooseThreshold(okScores, ngScores, input.scorePercentile);
    const calibPath = await this.writeCalib(input, {
      threshold: new PyFloat(threshold),
      score_percentile: input.scorePercentile,
      area_mm2_thr: new PyFloat(input.areaMm2Thr),
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
      created_at_utc: pythonUtcIso(Math.floor((performance.timeOrigin + performance.now()) * 1000)),
    });
    this.diagnostics.event('calibrate.saved', {
      ...this.ids(input),
      calib_path_written: calibPath,
      threshold,
      ...statsFields('calib', await this.store.fileStats(calibPath)),
    });
    return {
      status: 'ok',
      threshold,
      score_percentile: input.scorePercentile,
      area_mm2_thr: input.areaMm2Thr,
      n_ok: okScores.length,
      n_ng: ngScores.length,
      request_id: input.requestId,
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
    };
  }

  // ================================================================= /manifest and /state

  async manifest(input: ArtifactQueryInput): Promise<Record<string, unknown>> {
    const ids = this.ids(input);
    this.diagnostics.event('manifest.request', ids);
    const probe = await this.probe(input);
    const hasMemory = await this.memoryLoadable(probe.memory);
    const calib = probe.calib.path ? await this.store.readJson(probe.calib.path) : null;
    const base = await this.store.resolveDatasetBase(input.recipeId, input.roleId, input.roiId);
    const listing = await this.store.listDataset(base);
    const classes = Object.fromEntries(
      Object.entries(listing).map(([label, entry]) => [label, { count: entry.files.length, files: entry.files, meta: entry.meta }]),
    );
    this.diagnostics.event('manifest.response', { ...ids, has_memory: hasMemory, datasets: Object.keys(classes) });
    return {
      role_id: input.roleId,
      roi_id: input.roiId,
      recipe_id: input.recipeId,
      model_key: sanitizeModelKey(input.modelKey),
      memory: hasMemory,
      calib,
      datasets: { role_id: input.roleId, roi_id: input.roiId, classes },
      request_id: input.requestId,
    };
  }

  async state(input: ArtifactQueryInput): Promise<Record<string, unknown>> {
    const ids = this.ids(input);
    this.diagnostics.event('state.request', ids);
    const probe = await this.probe(input);
    const fitted = await this.memoryLoadable(probe.memory);
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
    this.diagnostics.event('state.response', {
      ...ids,
      fitted,
      has_calib: calibPresent,
      threshold,
      has_fit_ok: fitted,
      fit_ok_rule: FIT_RULE,
      faiss_available: true,
      probe_artifacts: this.probeFields(input, probe),
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
      request_id: input.requestId,
      recipe_id: input.recipeId,
      role_id: input.roleId,
      roi_id: input.roiId,
      model_key: input.modelKey,
    };
  }

  // ================================================================= internals

  private parallelism(): number {
    return Math.max(1, Math.min(8, this.engine.size * 2));
  }

  private async probe(ref: ModelRef): Promise<Probe> {
    const [memory, index, calib] = await Promise.all([
      this.store.resolveArtifact(ref, 'memory'),
      this.store.resolveArtifact(ref, 'index'),
      this.store.resolveArtifact(ref, 'calib'),
    ]);
    for (const artifact of [memory, index, calib]) {
      if (!artifact.path) {
        this.diagnostics.event(`storage.resolve_${artifact.kind}.not_found`, {
          role_id: ref.roleId,
          roi_id: ref.roiId,
          recipe_id_effective: ref.recipeId,
          model_key_effective: sanitizeModelKey(ref.modelKey),
          probed_paths: artifact.probed,
        });
      }
    }
    return { memory, index, calib };
  }

  private probeFields(ref: ModelRef, probe: Probe): Record<string, unknown> {
    const fields: Record<string, unknown> = {
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

  private async notFittedEvent(ref: ModelRef & { requestId: string }, probe: Probe, why: string): Promise<void> {
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
    this.diagnostics.event('infer.not_fitted', {
      ...this.ids(ref),
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

  /** The calib JSON of either producer; threshold null when missing or not > 0. */
  private async readCalib(ref: ModelRef, resolved: ResolvedArtifact): Promise<CalibInfo> {
    const defaults = { scorePercentile: this.config.inference.scorePercentile, areaMm2Thr: this.config.inference.areaMm2Thr };
    if (!resolved.path) return { path: null, raw: null, threshold: null, ...defaults };
    const raw = await this.store.readJson(resolved.path);
    const threshold = typeof raw.threshold === 'number' && Number.isFinite(raw.threshold) && raw.threshold > 0 ? raw.threshold : null;
    const pct = typeof raw.score_percentile === 'number' && Number.isFinite(raw.score_percentile) ? Math.trunc(raw.score_percentile) : defaults.scorePercentile;
    const area = typeof raw.area_mm2_thr === 'number' && Number.isFinite(raw.area_mm2_thr) ? raw.area_mm2_thr : defaults.areaMm2Thr;
    void ref;
    return { path: resolved.path, raw, threshold, scorePercentile: pct, areaMm2Thr: area };
  }

  private async writeCalib(ref: ModelRef, content: Record<string, unknown>): Promise<string> {
    const file = this.store.artifactPath(ref, 'calib');
    await this.store.withModelLock(ref, () => this.store.writeJson(file, content));
    return file;
  }

  /** Whether the resolved npz parses (cached by path, size and mtime). */
  private async memoryLoadable(memory: ResolvedArtifact): Promise<boolean> {
    if (!memory.path || !memory.stats) return false;
    const key = `${memory.stats.size}:${memory.stats.mtimeMs}`;
    const cached = this.loadable.get(memory.path);
    if (cached && cached.key === key) return cached.ok;
    let ok = true;
    try {
      decodeMemoryNpz(await this.store.readFile(memory.path), memory.path);
    } catch (error) {
      ok = false;
      this.diagnostics.event('storage.memory_unreadable', { path: memory.path, error: (error as Error).message });
    }
    if (this.loadable.size > this.config.storage.cacheMaxEntries) this.loadable.clear();
    this.loadable.set(memory.path, { key, ok });
    return ok;
  }

  /** One dataset sample for scoring: bytes, mm_per_px (meta key, else default) and the meta's shape. */
  private async readSample(base: DatasetBase, label: DatasetLabel, filename: string, defaultMm: unknown): Promise<{ bytes: Uint8Array; mmPerPx: number; shape: ParsedShape }> {
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

  private ids(ref: ModelRef & { requestId: string }): Record<string, unknown> {
    return { request_id: ref.requestId, recipe_id: ref.recipeId, role_id: ref.roleId, roi_id: ref.roiId, model_key: ref.modelKey };
  }

  private errorEvent(event: string, error: unknown, ids: Record<string, unknown>, started: number): void {
    const handled = error instanceof ApiError && error.status < 500;
    this.diagnostics.event(event, {
      ...ids,
      error_type: handled ? 'bad_request' : ((error as Error)?.name ?? 'Error'),
      error_message: (error as Error)?.message ?? String(error),
      elapsed_ms: elapsedMs(started),
    });
  }
}

// ----------------------------------------------------------------- helpers

/** Failures of the model or the pool: they end a dataset run instead of becoming one item's error. */
const MODEL_OR_POOL_FAILURES: ReadonlySet<string> = new Set(['overloaded', 'internal_error', 'memory_not_fitted', 'corrupt_artifact', 'worker_crashed']);

function memoryNotFitted(route: MemoryRoute): ApiError {
  return new ApiError('memory_not_fitted', `Memoria no encontrada. Ejecuta /fit_ok antes de ${route}.`);
}

function memoryRef(probe: Probe) {
  return {
    npzPath: probe.memory.path as string,
    npzMtimeMs: (probe.memory.stats as FileStats).mtimeMs,
    indexPath: probe.index.path,
    indexMtimeMs: probe.index.stats?.mtimeMs ?? null,
  };
}

function checkPercentile(p: number): void {
  if (!(p >= 0 && p <= 100)) throw new ApiError('invalid_score_percentile', undefined, { score_percentile: p });
}

/** The `shape` field: JSON text (or an object from a job); unparsable → 400 invalid_json_field. */
export function parseShape(shape: string | Record<string, unknown> | null | undefined): ParsedShape {
  if (shape === undefined || shape === null) return null;
  let value: unknown = shape;
  if (typeof shape === 'string') {
    if (shape.trim() === '') return null;
    try {
      value = JSON.parse(shape);
    } catch (error) {
      throw new ApiError('invalid_json_field', `shape is not valid JSON: ${(error as Error).message}`, { field: 'shape' });
    }
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('invalid_shape', 'shape must be a JSON object like {"kind":"circle","cx":…,"cy":…,"r":…}', { field: 'shape' });
  }
  return value as ParsedShape;
}

/** The GUI reads x, y, w, h (floats) beside the original's bbox. */
function withBoxFields(region: Region): InferRegion {
  const [x, y, w, h] = region.bbox;
  return { bbox: region.bbox, area_px: region.area_px, area_mm2: region.area_mm2, contour: region.contour, x, y, w, h };
}

/**
 * Header-level check so an undecodable upload fails as the original did: before the model checks. An image whose
 * header announces more than `maxPixels` is refused here too, before any worker decodes it (image bombs).
 */
async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<{ width: number; height: number }> {
  if (bytes.length === 0) throw new ApiError('invalid_image');
  let size: { width: number; height: number };
  if (isBmp(bytes)) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    size = bytes.length >= 26 ? { width: Math.abs(view.readInt32LE(18)), height: Math.abs(view.readInt32LE(22)) } : { width: 0, height: 0 };
  } else {
    try {
      const meta = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).metadata();
      if (!meta.width || !meta.height) throw new Error('no size');
      size = { width: meta.width, height: meta.height };
    } catch {
      throw new ApiError('invalid_image');
    }
  }
  if (size.width * size.height > maxPixels) {
    throw new ApiError('image_too_large', `Image of ${size.width}x${size.height} pixels exceeds the limit of ${maxPixels}`, {
      width: size.width,
      height: size.height,
      max_pixels: maxPixels,
    });
  }
  return size;
}

/**
 * Engine failures → the contract. A memory that vanished between the probe and the load is reported like a
 * missing one; a memory or index that exists but cannot be read is 500 corrupt_artifact naming the file (relative
 * to `modelsRoot`), so a damaged models directory is noticed instead of silently re-fitted over. Decode failures
 * keep the original's Spanish message.
 */
export function mapEngineError(error: unknown, route: MemoryRoute, modelsRoot?: string): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { code?: string; message?: string; details?: Record<string, unknown> | null; name?: string };
  const details = e?.details ?? null;
  switch (e?.code) {
    case 'invalid_image':
      return new ApiError('invalid_image', details?.file ? `No se pudo decodificar la imagen: ${String(details.file)}` : undefined, details);
    case 'image_too_large':
    case 'invalid_shape':
    case 'token_grid_mismatch':
    case 'calibration_failed':
      return new ApiError(e.code, e.message, details);
    case 'artifact_not_found':
      return new ApiError('memory_not_fitted', `Memoria no encontrada. Ejecuta /fit_ok antes de ${route}.`, { reason: e.code, ...(details ?? {}) });
    case 'corrupt_artifact': {
      const absolute = typeof details?.file === 'string' ? details.file : '';
      const file = modelsRoot && absolute && path.isAbsolute(absolute) ? path.relative(modelsRoot, absolute) : path.basename(absolute);
      const reason = (e.message ?? '').replace(absolute, file);
      return new ApiError('corrupt_artifact', `Model artifact ${file} is corrupt or unreadable; re-fit this model to rewrite it`, {
        file,
        reason,
      });
    }
    case 'invalid_argument':
      return new ApiError('bad_request', e.message, details);
    case 'aborted':
      return new ApiError('aborted', e.message, details);
    case 'pool_saturated':
      return new ApiError('overloaded', undefined, details);
    default:
      if (typeof e?.code === 'string' && e.code === 'backbone_unavailable') return new ApiError('backbone_unavailable', e.message);
      return new ApiError('internal_error', undefined, null);
  }
}

function itemErrorMessage(error: ApiError, filename: string): string {
  switch (error.code) {
    case 'invalid_mm_per_px':
      return `400: ${error.message}`;
    case 'invalid_image':
      return `No se pudo decodificar la imagen: ${filename}`;
    default:
      return error.message;
  }
}

function statsFields(kind: string, stats: FileStats | null): Record<string, unknown> {
  return { [`${kind}_exists`]: stats !== null, [`${kind}_size`]: stats?.size ?? null, [`${kind}_mtime_utc`]: stats?.mtimeUtc ?? null };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/** Promise.all over `items` with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
