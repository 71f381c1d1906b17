// The inspection operations as job tasks (`infer`, `fit-ok`, `infer-dataset`, `calibrate-dataset`): JSON
// versions of the routes' fields, parsed once at creation into typed payloads, run by the same service methods as
// the routes.
import { Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { decodeImagePayload } from '../detection/image-payload';
import { JobRunContext, OnJob } from '../jobs/job-task';
import { JsonObject } from '../jobs/job.types';
import { AppConfig } from '../config/app-config';
import { resolveRecipeId } from '../recipes/recipe-id';
import { parseBoolWord, parsePythonFloat } from './form-fields';
import { calibrateDatasetFromJson, inferDatasetFromJson, parseHeatmapScale } from './inference-inputs';
import type { HeatmapScaleMode } from '../engine/heatmap-png';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { EngineRunOptions } from './inspection-engine';
import { ScoringService } from './scoring.service';

type FieldError = { loc: string[]; field: string; message: string };

class Fields {
  readonly errors: FieldError[] = [];
  constructor(
    readonly values: JsonObject,
    private readonly loc: string[],
  ) {}

  fail(field: string, message: string): void {
    this.errors.push({ loc: [...this.loc, field], field, message });
  }

  string(field: string, required: boolean): string | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(field, 'Field required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(field, 'Input should be a valid string');
      return undefined;
    }
    return v;
  }

  number(field: string, required: boolean): number | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(field, 'Field required');
      return undefined;
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parsePythonFloat(v) : undefined;
    if (n === undefined) this.fail(field, 'Input should be a valid number');
    return n;
  }

  bool(field: string): boolean | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') return undefined;
    const b = typeof v === 'boolean' ? v : typeof v === 'string' ? parseBoolWord(v) : undefined;
    if (b === undefined) this.fail(field, 'Input should be a valid boolean');
    return b;
  }

  recipe(): string {
    try {
      return resolveRecipeId(this.values.recipe_id, undefined);
    } catch (error) {
      this.fail('recipe_id', (error as Error).message);
      return 'default';
    }
  }

  done(): void {
    if (this.errors.length > 0) throw new ApiError('validation_error', undefined, { errors: this.errors });
  }
}

function modelKeyOf(values: JsonObject, roiId: string): string {
  return typeof values.model_key === 'string' && values.model_key !== '' ? values.model_key : roiId;
}

interface ModelPayload {
  recipe_id: string;
  role_id: string;
  roi_id: string;
  model_key: string;
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
  const f = new Fields(fields, location);
  const recipeId = f.recipe();
  const roleId = f.string('role_id', true);
  const roiId = f.string('roi_id', true);
  const mmPerPx = f.number('mm_per_px', true);
  const imageBase64 = f.string('imageBase64', true);
  const includeHeatmap = f.bool('include_heatmap');
  const heatmapScale = parseHeatmapScale(fields.heatmap_scale, (message) => f.fail('heatmap_scale', message));
  const shape = fields.shape;
  if (shape !== undefined && shape !== null && typeof shape !== 'string' && (typeof shape !== 'object' || Array.isArray(shape))) {
    f.fail('shape', 'Input should be a JSON object or JSON text');
  }
  f.done();
  decodeImagePayload(imageBase64 as string);
  return {
    recipe_id: recipeId,
    role_id: roleId as string,
    roi_id: roiId as string,
    model_key: modelKeyOf(fields, roiId as string),
    mm_per_px: mmPerPx as number,
    imageBase64: imageBase64 as string,
    shape: (shape ?? null) as InferJobPayload['shape'],
    ...(includeHeatmap === undefined ? {} : { include_heatmap: includeHeatmap }),
    ...(heatmapScale === undefined ? {} : { heatmap_scale: heatmapScale }),
  };
}

function parseFitOk(fields: JsonObject, location: string[]): FitOkJobPayload {
  const f = new Fields(fields, location);
  const recipeId = f.recipe();
  const roleId = f.string('role_id', true);
  const roiId = f.string('roi_id', true);
  const mmPerPx = f.number('mm_per_px', true);
  const memoryFit = f.bool('memory_fit') ?? false;
  const useDataset = f.bool('use_dataset') ?? false;
  const images = fields.imagesBase64;
  if (images !== undefined && images !== null && (!Array.isArray(images) || images.some((i) => typeof i !== 'string'))) {
    f.fail('imagesBase64', 'Input should be a list of base64 strings');
  }
  f.done();
  ((images as string[] | undefined) ?? []).forEach((i) => decodeImagePayload(i));
  return {
    recipe_id: recipeId,
    role_id: roleId as string,
    roi_id: roiId as string,
    model_key: modelKeyOf(fields, roiId as string),
    mm_per_px: mmPerPx as number,
    memory_fit: memoryFit,
    use_dataset: useDataset,
    imagesBase64: (images as string[] | undefined) ?? [],
  };
}

function parseInferDataset(fields: JsonObject, location: string[]): InferDatasetJobPayload {
  const f = new Fields(fields, location);
  const recipeId = f.recipe();
  f.done();
  const input = inferDatasetFromJson(fields, { recipeId, requestId: '' }, location);
  return {
    recipe_id: recipeId,
    role_id: input.roleId,
    roi_id: input.roiId,
    model_key: input.modelKey,
    labels: input.labels,
    include_heatmap: input.includeHeatmap,
    ...(input.heatmapScale === undefined ? {} : { heatmap_scale: input.heatmapScale }),
    default_mm_per_px: input.defaultMmPerPx,
  };
}

function parseCalibrateDataset(fields: JsonObject, location: string[], config: AppConfig): CalibrateDatasetJobPayload {
  const f = new Fields(fields, location);
  const recipeId = f.recipe();
  f.done();
  const input = calibrateDatasetFromJson(fields, { recipeId, requestId: '' }, config, location);
  return {
    recipe_id: recipeId,
    role_id: input.roleId,
    roi_id: input.roiId,
    model_key: input.modelKey,
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
