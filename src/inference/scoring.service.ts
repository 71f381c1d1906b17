// Scoring against a fitted model: /infer (one uploaded image) and /infer_dataset (the dataset's samples). Both go
// through scoreSample; scoreSamples is the per-sample loop that calibration shares.
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decisionOf } from '../engine/decision';
import type { MemoryArtifactRef } from '../engine/memory-cache';
import type { HeatmapScale, HeatmapScaleMode } from '../engine/heatmap-png';
import type { InferOutput } from '../engine/pool-protocol';
import { DatasetBase, DatasetLabel, ModelStore } from '../recipes/model-store';
import { validateMmPerPx } from '../recipes/mm-per-px';
import { MODEL_OR_POOL_FAILURES, MemoryRoute, calibrationMissing, itemErrorMessage, mapEngineError, memoryNotFitted } from './engine-errors';
import { checkShape } from './roi-shape';
import { sampleDisplayName } from './unusable-samples';
import { probeImage } from './image-probe';
import { parseShape, withBoxFields } from './infer-wire';
import { EngineRunOptions, INSPECTION_ENGINE, INTERACTIVE, InspectionEngine } from './inspection-engine';
import { FIT_RULE, InspectionDiagnostics, elapsedMs } from './inspection-diagnostics.service';
import { DatasetItemResponse, InferDatasetResponse, InferResponse } from './dto/inspection-responses.dto';
import { HeatmapLegend, InferDatasetInput, InferRequestInput, ParsedShape } from './inference.types';
import { mapBounded } from './map-bounded';
import { ModelArtifacts, Sample, memoryRef } from './model-artifacts.service';

/** What one sample is scored with: the model's memory and the calibration in force. */
export interface ScoringModel {
  memory: MemoryArtifactRef;
  /** null: score only (calibration), no decision. */
  threshold: number | null;
  scorePercentile: number;
  areaMm2Thr: number;
}

/** The legend of a heatmap drawn on `scale`, with the threshold's place on it. */
export function heatmapLegend(scale: HeatmapScale, threshold: number): HeatmapLegend {
  const range = scale.max - scale.min;
  return {
    mode: scale.mode,
    min: scale.min,
    max: scale.max,
    threshold,
    threshold_level: range > 0 ? (threshold - scale.min) / range : null,
  };
}

export interface ScoredSample {
  label: DatasetLabel;
  filename: string;
  /** Set when the sample was scored. */
  sample?: Sample;
  output?: InferOutput;
  /** Set when this sample (not the model or the pool) failed. */
  error?: ApiError;
  /** With `error`: the client's file name of the sample, when its meta kept it. */
  originalName?: string | null;
}

@Injectable()
export class ScoringService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INSPECTION_ENGINE) private readonly engine: InspectionEngine,
    private readonly store: ModelStore,
    private readonly artifacts: ModelArtifacts,
    private readonly diagnostics: InspectionDiagnostics,
  ) {}

  /** One image through the engine; engine failures come back in the API contract, worded for `route`. */
  async scoreSample(
    model: ScoringModel,
    image: { bytes: Uint8Array; mmPerPx: number; shape: ParsedShape },
    options: { wantHeatmap: boolean | 'ng'; heatmapScale?: HeatmapScaleMode; route: MemoryRoute; run: EngineRunOptions },
  ): Promise<InferOutput> {
    try {
      return await this.engine.infer(
        {
          image: image.bytes,
          memory: model.memory,
          shape: image.shape,
          threshold: model.threshold,
          scorePercentile: model.scorePercentile,
          areaMm2Thr: model.areaMm2Thr,
          mmPerPx: image.mmPerPx,
          wantHeatmap: options.wantHeatmap,
          heatmapScale: options.heatmapScale ?? this.config.inference.heatmapScale,
        },
        options.run,
      );
    } catch (error) {
      throw mapEngineError(error, options.route, this.store.root);
    }
  }

  /**
   * The dataset loop of /infer_dataset and /calibrate_dataset: reads and scores each sample with bounded
   * parallelism. A sample that cannot be read or scored becomes that item's error; a broken model or pool, or an
   * abort, ends the whole run.
   */
  async scoreSamples(
    base: DatasetBase | null,
    work: ReadonlyArray<{ label: DatasetLabel; filename: string }>,
    model: ScoringModel,
    options: {
      defaultMmPerPx: unknown;
      wantHeatmap: boolean;
      heatmapScale?: HeatmapScaleMode;
      route: MemoryRoute;
      abortMessage: string;
      run: EngineRunOptions;
      /** Called after each sample with the number scored so far (failed ones included). */
      onScored?: (done: number) => void;
    },
  ): Promise<ScoredSample[]> {
    const { signal, priority } = options.run;
    // Progress is counted here, per sample; single inferences publish none.
    const perSample: EngineRunOptions = { signal, priority };
    const scoreOne = async ({ label, filename }: { label: DatasetLabel; filename: string }): Promise<ScoredSample> => {
      if (signal?.aborted) throw new ApiError('aborted', options.abortMessage);
      try {
        const sample = await this.artifacts.readSample(base as DatasetBase, label, filename, options.defaultMmPerPx);
        const output = await this.scoreSample(model, sample, {
          wantHeatmap: options.wantHeatmap,
          heatmapScale: options.heatmapScale,
          route: options.route,
          run: perSample,
        });
        return { label, filename, sample, output };
      } catch (error) {
        if (signal?.aborted) throw new ApiError('aborted', options.abortMessage);
        const mapped = mapEngineError(error, options.route, this.store.root);
        if (MODEL_OR_POOL_FAILURES.has(mapped.code)) throw mapped;
        return { label, filename, error: mapped, originalName: base ? await this.artifacts.originalName(base, label, filename) : null };
      }
    };
    let done = 0;
    return mapBounded(work, this.parallelism(), async (item) => {
      const scored = await scoreOne(item);
      options.onScored?.(++done);
      return scored;
    });
  }

  // ================================================================= /infer

  /** `run`: the route is interactive (503 when the pool is full); the `infer` job runs in the background and waits. */
  async infer(input: InferRequestInput, run: EngineRunOptions = INTERACTIVE): Promise<InferResponse> {
    const started = performance.now();
    try {
      validateMmPerPx(input.mmPerPx);
      await this.store.ensureMmPerPx(input.recipeId, input.mmPerPx);
      const imageShape = await probeImage(input.image, this.config.inference.maxImagePixels);

      const probe = await this.artifacts.probe(input);
      const calib = await this.artifacts.readCalib(probe.calib);
      this.diagnostics.event('infer.request', input, {
        image_shape: [imageShape.height, imageShape.width, 3],
        image_bytes_len: input.image.length,
        mm_per_px: input.mmPerPx,
        threshold: calib.threshold,
        has_fit_ok: probe.memory.path !== null,
        fit_ok_rule: FIT_RULE,
        faiss_available: true,
        shape_present: input.shape !== undefined && input.shape !== null && input.shape !== '',
      });
      this.diagnostics.event('infer.probe', input, { probe: this.diagnostics.probeFields(input, probe) });
      this.artifacts.assertNoRefusedFallback(input, probe);
      if (!probe.memory.path || !probe.memory.stats) {
        await this.diagnostics.notFitted(input, probe, 'memory_missing');
        throw memoryNotFitted('/infer', this.artifacts.lookedFor(input, probe, ['memory', 'index']));
      }
      if (calib.threshold === null) {
        this.diagnostics.event('infer.calibration_missing', input, { calib_path: calib.path });
        throw calibrationMissing(input, { calib_path: calib.path, ...this.artifacts.lookedFor(input, probe, ['calib']) });
      }
      const shape = checkShape(parseShape(input.shape), imageShape, this.config.inference.minMaskPixels);
      const threshold = calib.threshold;
      let output: InferOutput;
      try {
        output = await this.scoreSample(
          { memory: memoryRef(probe), threshold, scorePercentile: calib.scorePercentile, areaMm2Thr: calib.areaMm2Thr },
          { bytes: input.image, mmPerPx: input.mmPerPx, shape },
          // Without include_heatmap the heatmap goes only with an NG decision: the worker draws it only then.
          { wantHeatmap: input.includeHeatmap ?? 'ng', heatmapScale: input.heatmapScale, route: '/infer', run },
        );
      } catch (error) {
        if ((error as ApiError).code === 'memory_not_fitted') await this.diagnostics.notFitted(input, probe, 'memory_unreadable');
        throw error;
      }
      const score = Number.isFinite(output.score) ? output.score : 0;
      const decision = decisionOf(score, threshold);
      const withHeatmap = input.includeHeatmap === true || (input.includeHeatmap === undefined && decision === 'ng');
      // Regions are defects only on an NG part; on an OK part their count is still said, never hidden or shown as defects.
      const found = (output.regions ?? []).map(withBoxFields);
      const regions = decision === 'ng' ? found : [];
      const provenance = this.artifacts.provenance(probe);
      this.diagnostics.event('infer.response', input, {
        elapsed_ms: elapsedMs(started),
        score,
        threshold,
        decision,
        n_regions: regions.length,
        regions_above_area_threshold: found.length,
        ...provenance,
        timings_ms: output.timings,
        memory_loaded: output.memoryLoaded,
      });
      return {
        score,
        threshold,
        token_shape: output.tokenShape,
        heatmap_png_base64: withHeatmap && output.heatmapPngBase64 ? output.heatmapPngBase64 : null,
        heatmap_scale: withHeatmap && output.heatmapPngBase64 && output.heatmapScale ? heatmapLegend(output.heatmapScale, threshold) : null,
        regions,
        request_id: input.requestId,
        recipe_id: input.recipeId,
        decision,
        regions_above_area_threshold: found.length,
        ...provenance,
      };
    } catch (error) {
      this.diagnostics.error('infer.error', input, error, started);
      throw error;
    }
  }

  // ================================================================= /infer_dataset

  async inferDataset(input: InferDatasetInput, run: EngineRunOptions = INTERACTIVE): Promise<InferDatasetResponse> {
    const probe = await this.artifacts.probe(input);
    this.artifacts.assertNoRefusedFallback(input, probe);
    if (!probe.memory.path) throw memoryNotFitted('/infer_dataset', this.artifacts.lookedFor(input, probe, ['memory', 'index']));
    const calib = await this.artifacts.readCalib(probe.calib);
    if (calib.threshold === null) throw calibrationMissing(input, { calib_path: calib.path, ...this.artifacts.lookedFor(input, probe, ['calib']) });
    const threshold = calib.threshold;
    const base = await this.artifacts.datasetBase(input);
    const listing = await this.store.listDataset(base);
    const work: Array<{ label: DatasetLabel; filename: string }> = [];
    for (const label of input.labels) {
      if (label !== 'ok' && label !== 'ng') continue;
      for (const filename of listing[label]?.files ?? []) work.push({ label, filename });
    }
    const scored = await this.scoreSamples(
      base,
      work,
      { memory: memoryRef(probe), threshold, scorePercentile: calib.scorePercentile, areaMm2Thr: calib.areaMm2Thr },
      {
        defaultMmPerPx: input.defaultMmPerPx,
        wantHeatmap: input.includeHeatmap,
        heatmapScale: input.heatmapScale,
        route: '/infer_dataset',
        abortMessage: 'Dataset inference aborted',
        run,
        onScored: (done) => run.onProgress?.({ phase: 'inference', done, total: work.length }),
      },
    );
    const items = scored.map((s) => toDatasetItem(s, threshold, input.includeHeatmap));
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
      ...this.artifacts.provenance(probe),
    };
  }

  private parallelism(): number {
    return Math.max(1, Math.min(8, this.engine.size * 2));
  }
}

/** One scored (or unusable) sample as /infer_dataset lists it. */
function toDatasetItem({ label, filename, sample, output, error, originalName }: ScoredSample, threshold: number, includeHeatmap: boolean): DatasetItemResponse {
  const item: DatasetItemResponse = { label, filename, mm_per_px: null, score: null, threshold, regions: [], n_regions: 0, error: null };
  if (error) {
    item.error = itemErrorMessage(error, sampleDisplayName(filename, originalName ?? null));
  } else if (sample && output) {
    const found = output.regions ?? [];
    item.mm_per_px = sample.mmPerPx;
    item.score = output.score;
    item.decision = output.score >= threshold ? 'ng' : 'ok';
    item.regions = item.decision === 'ng' ? found : [];
    item.n_regions = item.regions.length;
    item.regions_above_area_threshold = found.length;
    if (includeHeatmap && output.heatmapPngBase64) {
      item.heatmap_png_base64 = output.heatmapPngBase64;
      if (output.heatmapScale) item.heatmap_scale = heatmapLegend(output.heatmapScale, threshold);
    }
  }
  return item;
}
