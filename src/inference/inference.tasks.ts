// The inspection operations as job tasks (`infer`, `fit-ok`, `infer-dataset`, `calibrate-dataset`): JSON
// versions of the routes' fields, parsed once at creation into typed payloads, run by the same service methods as
// the routes.
import { Injectable } from '@nestjs/common';
import { validateDto } from '../common/validation/validation-error';
import { effectiveModelKey } from '../common/wire/form-fields';
import { decodeImagePayload } from '../common/wire/image-payload';
import { JobRunContext, OnJob } from '../jobs/job-task';
import { JsonObject } from '../jobs/job.types';
import { AppConfig } from '../config/app-config';
import type { HeatmapScaleMode } from '../engine/heatmap-png';
import { toCalibrateDatasetInput, toInferDatasetInput } from './dto/dataset-pass.dto';
import { CalibrateDatasetJobFields, FitOkJobFields, InferDatasetJobFields, InferJobFields } from './dto/inspection-jobs.dto';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { EngineRunOptions } from './inspection-engine';
import { ScoringService } from './scoring.service';

interface ModelPayload {
  recipe_id: string;
  role_id: string;
  roi_id: string;
  model_key: string;
}

/** The model a task's fields name, as stored. */
function modelPayload(f: { recipe_id: string; role_id: string; roi_id: string; model_key?: unknown }): ModelPayload {
  return { recipe_id: f.recipe_id, role_id: f.role_id, roi_id: f.roi_id, model_key: effectiveModelKey(f.model_key, f.roi_id) };
}

export interface InferJobPayload extends ModelPayload {
  mm_per_px: number;
  imageBase64: string;
  shape: string | Record<string, unknown> | null;
  include_heatmap?: boolean;
  heatmap_scale?: HeatmapScaleMode;
}

export interface FitOkJobPayload extends ModelPayload {
  mm_per_px: number;
  memory_fit: boolean;
  use_dataset: boolean;
  imagesBase64: string[];
}

export interface InferDatasetJobPayload extends ModelPayload {
  labels: string[];
  include_heatmap: boolean;
  heatmap_scale?: HeatmapScaleMode;
  default_mm_per_px: unknown;
}

export interface CalibrateDatasetJobPayload extends ModelPayload {
  score_percentile: number;
  area_mm2_thr: number;
  default_mm_per_px: unknown;
  require_ng: boolean;
}

declare module '../jobs/job-task' {
  interface JobPayloads {
    infer: InferJobPayload;
    'fit-ok': FitOkJobPayload;
    'infer-dataset': InferDatasetJobPayload;
    'calibrate-dataset': CalibrateDatasetJobPayload;
  }
}

function parseInfer(fields: JsonObject, location: string[]): InferJobPayload {
  const f = validateDto(InferJobFields, fields, location);
  decodeImagePayload(f.imageBase64);
  return {
    ...modelPayload(f),
    mm_per_px: f.mm_per_px,
    imageBase64: f.imageBase64,
    shape: f.shape,
    ...(f.include_heatmap === undefined ? {} : { include_heatmap: f.include_heatmap }),
    ...(f.heatmap_scale === undefined ? {} : { heatmap_scale: f.heatmap_scale }),
  };
}

function parseFitOk(fields: JsonObject, location: string[]): FitOkJobPayload {
  const f = validateDto(FitOkJobFields, fields, location);
  f.imagesBase64.forEach((i) => decodeImagePayload(i));
  return {
    ...modelPayload(f),
    mm_per_px: f.mm_per_px,
    memory_fit: f.memory_fit ?? false,
    use_dataset: f.use_dataset ?? false,
    imagesBase64: f.imagesBase64,
  };
}

function parseInferDataset(fields: JsonObject, location: string[]): InferDatasetJobPayload {
  const f = validateDto(InferDatasetJobFields, fields, location);
  const input = toInferDatasetInput(f, { recipeId: f.recipe_id, requestId: '' });
  return {
    ...modelPayload(f),
    labels: input.labels,
    include_heatmap: input.includeHeatmap,
    ...(input.heatmapScale === undefined ? {} : { heatmap_scale: input.heatmapScale }),
    default_mm_per_px: input.defaultMmPerPx,
  };
}

function parseCalibrateDataset(fields: JsonObject, location: string[], config: AppConfig): CalibrateDatasetJobPayload {
  const f = validateDto(CalibrateDatasetJobFields, fields, location);
  const input = toCalibrateDatasetInput(f, { recipeId: f.recipe_id, requestId: '' }, config);
  return {
    ...modelPayload(f),
    score_percentile: input.scorePercentile,
    area_mm2_thr: input.areaMm2Thr,
    default_mm_per_px: input.defaultMmPerPx,
    require_ng: input.requireNg,
  };
}

/** Jobs use the pool in the background: they wait for room instead of answering 503. */
function background(context: JobRunContext): EngineRunOptions {
  return { signal: context.signal, priority: 'background', onProgress: context.reportProgress };
}

/** The model and request a job payload names, as the services take them. */
function modelScope(p: ModelPayload, context: JobRunContext) {
  return { requestId: context.requestId, recipeId: p.recipe_id, roleId: p.role_id, roiId: p.roi_id, modelKey: p.model_key };
}

@Injectable()
export class InferenceTasks {
  constructor(
    private readonly fit: FitService,
    private readonly calibration: CalibrationService,
    private readonly scoring: ScoringService,
  ) {}

  @OnJob({ name: 'infer', timeout: 'run', parse: parseInfer })
  infer(p: InferJobPayload, context: JobRunContext) {
    return this.scoring.infer(
      {
        ...modelScope(p, context),
        mmPerPx: p.mm_per_px,
        image: decodeImagePayload(p.imageBase64),
        shape: p.shape,
        includeHeatmap: p.include_heatmap,
        heatmapScale: p.heatmap_scale,
      },
      background(context),
    );
  }

  @OnJob({ name: 'fit-ok', timeout: 'long', parse: parseFitOk })
  fitOk(p: FitOkJobPayload, context: JobRunContext) {
    return this.fit.fitOk(
      {
        ...modelScope(p, context),
        mmPerPx: p.mm_per_px,
        memoryFit: p.memory_fit,
        useDataset: p.use_dataset,
        images: p.imagesBase64.map((b, i) => ({ bytes: decodeImagePayload(b), name: `image_${i}` })),
      },
      background(context),
    );
  }

  @OnJob({ name: 'infer-dataset', timeout: 'long', parse: parseInferDataset })
  inferDataset(p: InferDatasetJobPayload, context: JobRunContext) {
    return this.scoring.inferDataset(
      {
        ...modelScope(p, context),
        labels: p.labels,
        includeHeatmap: p.include_heatmap,
        heatmapScale: p.heatmap_scale,
        defaultMmPerPx: p.default_mm_per_px,
      },
      background(context),
    );
  }

  @OnJob({ name: 'calibrate-dataset', timeout: 'long', parse: parseCalibrateDataset })
  calibrateDataset(p: CalibrateDatasetJobPayload, context: JobRunContext) {
    return this.calibration.calibrateDataset(
      {
        ...modelScope(p, context),
        scorePercentile: p.score_percentile,
        areaMm2Thr: p.area_mm2_thr,
        defaultMmPerPx: p.default_mm_per_px,
        requireNg: p.require_ng,
      },
      background(context),
    );
  }
}
