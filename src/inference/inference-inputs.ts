// Wire fields → plain service inputs, shared by the routes and the job handlers (reference §1.2–§1.8).
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import type { HeatmapScaleMode } from '../engine/heatmap-png';
import { FieldReader, UploadedPart } from './form-fields';
import { CalibrateDatasetInput, CalibrateNgInput, FitOkInput, InferDatasetInput, InferRequestInput, ArtifactQueryInput } from './inference.types';
import { flattenScores, pythonFloat, pythonInt, pythonTruthy } from './python-values';

export interface Scope {
  recipeId: string;
  requestId: string;
}

const HEATMAP_SCALES: readonly HeatmapScaleMode[] = ['image', 'absolute'];
export const HEATMAP_SCALE_MESSAGE = "Input should be 'image' or 'absolute'";

/**
 * `heatmap_scale` as sent (a form field or a JSON value): 'image' or 'absolute', any case; undefined when absent or
 * empty (the service's BDI_HEATMAP_SCALE applies); anything else calls `fail`.
 */
export function parseHeatmapScale(value: unknown, fail: (message: string) => void): HeatmapScaleMode | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const mode = typeof value === 'string' ? value.trim().toLowerCase() : null;
  if (mode !== null && (HEATMAP_SCALES as readonly string[]).includes(mode)) return mode as HeatmapScaleMode;
  fail(HEATMAP_SCALE_MESSAGE);
  return undefined;
}

/** `model_key or roi_id`, raw. */
function effectiveModelKey(modelKey: unknown, roiId: string): string {
  return typeof modelKey === 'string' && modelKey !== '' ? modelKey : roiId;
}

export function fitOkFromForm(reader: FieldReader, scope: Scope): FitOkInput {
  const roleId = reader.requiredString('role_id');
  const roiId = reader.requiredString('roi_id');
  const mmPerPx = reader.requiredFloat('mm_per_px');
  const memoryFit = reader.optionalBool('memory_fit') ?? false;
  const useDataset = reader.optionalBool('use_dataset') ?? false;
  const modelKey = reader.optionalString('model_key');
  const images = reader.files('images', false);
  reader.done();
  return {
    ...scope,
    roleId,
    roiId,
    modelKey: effectiveModelKey(modelKey, roiId),
    modelKeyRaw: modelKey ?? null,
    recipeIdRaw: reader.optionalString('recipe_id') ?? null,
    mmPerPx,
    memoryFit,
    useDataset,
    images: images.map((f: UploadedPart, i) => ({ bytes: f.buffer, name: f.originalname || `image_${i}` })),
  };
}

export function inferFromForm(reader: FieldReader, scope: Scope): InferRequestInput {
  const roleId = reader.requiredString('role_id');
  const roiId = reader.requiredString('roi_id');
  const mmPerPx = reader.requiredFloat('mm_per_px');
  const image = reader.files('image', true);
  const shape = reader.optionalString('shape');
  const includeHeatmap = reader.optionalBool('include_heatmap');
  const heatmapScale = parseHeatmapScale(reader.optionalString('heatmap_scale'), (message) => reader.fail('heatmap_scale', message));
  const modelKey = reader.optionalString('model_key');
  reader.done();
  return {
    ...scope,
    roleId,
    roiId,
    modelKey: effectiveModelKey(modelKey, roiId),
    mmPerPx,
    image: image[image.length - 1].buffer,
    shape: shape ?? null,
    includeHeatmap,
    heatmapScale,
  };
}

export function artifactQueryFrom(reader: FieldReader, scope: Scope): ArtifactQueryInput {
  const roleId = reader.requiredString('role_id');
  const roiId = reader.requiredString('roi_id');
  const modelKey = reader.optionalString('model_key');
  reader.done();
  return { ...scope, roleId, roiId, modelKey: effectiveModelKey(modelKey, roiId) };
}

/** role_id / roi_id of a JSON body: required; the original answered a missing key with 400 `'role_id'`. */
function requiredId(body: Record<string, unknown>, key: string, errors: Array<{ loc: string[]; field: string; message: string }>, loc: string[]): string {
  const value = body[key];
  if (value === undefined || value === null) {
    errors.push({ loc: [...loc, key], field: key, message: 'Field required' });
    return '';
  }
  return typeof value === 'string' ? value : String(value);
}

function throwIfErrors(errors: Array<{ loc: string[]; field: string; message: string }>): void {
  if (errors.length > 0) throw new ApiError('validation_error', undefined, { errors });
}

export function calibrateNgFromJson(body: Record<string, unknown>, scope: Scope, config: AppConfig, loc = ['body']): CalibrateNgInput {
  const errors: Array<{ loc: string[]; field: string; message: string }> = [];
  const roleId = requiredId(body, 'role_id', errors, loc);
  const roiId = requiredId(body, 'roi_id', errors, loc);
  throwIfErrors(errors);
  const max = config.inference.maxScoresPerCalibration;
  return {
    ...scope,
    roleId,
    roiId,
    modelKey: effectiveModelKey(body.model_key, roiId),
    mmPerPx: body.mm_per_px === undefined ? 0.2 : pythonFloat(body.mm_per_px, 'mm_per_px'),
    okScores: flattenScores(body.ok_scores, 'ok_scores', max),
    ngScores: flattenScores(body.ng_scores, 'ng_scores', max),
    areaMm2Thr: body.area_mm2_thr === undefined ? config.inference.areaMm2Thr : pythonFloat(body.area_mm2_thr, 'area_mm2_thr'),
    scorePercentile: body.score_percentile === undefined ? config.inference.scorePercentile : pythonInt(body.score_percentile, 'score_percentile'),
  };
}

export function inferDatasetFromJson(body: Record<string, unknown>, scope: Scope, loc = ['body']): InferDatasetInput {
  const errors: Array<{ loc: string[]; field: string; message: string }> = [];
  const roleId = requiredId(body, 'role_id', errors, loc);
  const roiId = requiredId(body, 'roi_id', errors, loc);
  let labels = ['ok', 'ng'];
  if (pythonTruthy(body.labels)) {
    if (!Array.isArray(body.labels)) errors.push({ loc: [...loc, 'labels'], field: 'labels', message: 'Input should be a list of labels' });
    else labels = body.labels.map((l) => String(l));
  }
  const heatmapScale = parseHeatmapScale(body.heatmap_scale, (message) =>
    errors.push({ loc: [...loc, 'heatmap_scale'], field: 'heatmap_scale', message }),
  );
  throwIfErrors(errors);
  return {
    ...scope,
    roleId,
    roiId,
    modelKey: effectiveModelKey(body.model_key, roiId),
    labels,
    includeHeatmap: pythonTruthy(body.include_heatmap),
    heatmapScale,
    defaultMmPerPx: body.default_mm_per_px ?? null,
  };
}

export function calibrateDatasetFromJson(body: Record<string, unknown>, scope: Scope, config: AppConfig, loc = ['body']): CalibrateDatasetInput {
  const errors: Array<{ loc: string[]; field: string; message: string }> = [];
  const roleId = requiredId(body, 'role_id', errors, loc);
  const roiId = requiredId(body, 'roi_id', errors, loc);
  throwIfErrors(errors);
  return {
    ...scope,
    roleId,
    roiId,
    modelKey: effectiveModelKey(body.model_key, roiId),
    scorePercentile: body.score_percentile === undefined || body.score_percentile === null ? config.inference.scorePercentile : pythonInt(body.score_percentile, 'score_percentile'),
    areaMm2Thr: body.area_mm2_thr === undefined || body.area_mm2_thr === null ? config.inference.areaMm2Thr : pythonFloat(body.area_mm2_thr, 'area_mm2_thr'),
    defaultMmPerPx: body.default_mm_per_px ?? null,
    requireNg: body.require_ng === undefined ? true : pythonTruthy(body.require_ng),
  };
}
