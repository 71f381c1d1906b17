// POST /infer_dataset and POST /calibrate_dataset (JSON): one pass over the stored samples of a model.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { Coerce } from '../../common/validation/coerce';
import { effectiveModelKey } from '../../common/wire/form-fields';
import { pythonFloat, pythonInt, pythonTruthy } from '../../common/wire/python-values';
import type { RequestScope } from '../../common/wire/recipe-scope';
import type { AppConfig } from '../../config/app-config';
import type { CalibrateDatasetInput, InferDatasetInput } from '../inference.types';
import type { HeatmapScaleMode } from '../../engine/heatmap-png';
import { HeatmapScaleField } from './heatmap-scale.field';
import { JsonModelRef } from '../../common/wire/model-ref.fields';
import { MODEL_KEY_DOC } from './model-fields';

const NOT_A_LIST = Symbol('not a list');

class DatasetPassBody extends JsonModelRef {
  @ApiPropertyOptional(MODEL_KEY_DOC)
  model_key?: unknown;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 0.2, description: "mm_per_px of samples whose meta has none" })
  default_mm_per_px?: unknown;
}

export class InferDatasetBody extends DatasetPassBody {
  @ApiPropertyOptional({ type: [String], default: ['ok', 'ng'], description: 'Classes to score (others are skipped)' })
  // Python truthiness: an empty value means both classes; a non-list is a 422.
  @Coerce((raw) => {
    if (!pythonTruthy(raw)) return undefined;
    return Array.isArray(raw) ? raw.map((l) => String(l)) : NOT_A_LIST;
  })
  @ValidateBy({ name: 'labels', validator: { validate: (v: unknown) => v !== NOT_A_LIST, defaultMessage: () => 'Input should be a list of labels' } })
  labels?: string[];

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Heatmap of every scored sample' })
  include_heatmap?: unknown;

  @HeatmapScaleField()
  heatmap_scale?: HeatmapScaleMode;
}

export class CalibrateDatasetBody extends DatasetPassBody {
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Percentile of the OK scores (default: BDI score_percentile)' })
  score_percentile?: unknown;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Minimum region area, mm² (default: BDI area_mm2_thr)' })
  area_mm2_thr?: unknown;

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'Fail without NG samples (false: OK-only threshold)' })
  require_ng?: unknown;
}

export function toInferDatasetInput(body: InferDatasetBody, scope: RequestScope): InferDatasetInput {
  return {
    ...scope,
    roleId: body.role_id,
    roiId: body.roi_id,
    modelKey: effectiveModelKey(body.model_key, body.roi_id),
    labels: body.labels ?? ['ok', 'ng'],
    includeHeatmap: pythonTruthy(body.include_heatmap),
    heatmapScale: body.heatmap_scale,
    defaultMmPerPx: body.default_mm_per_px ?? null,
  };
}

export function toCalibrateDatasetInput(body: CalibrateDatasetBody, scope: RequestScope, config: AppConfig): CalibrateDatasetInput {
  const absent = (v: unknown) => v === undefined || v === null;
  return {
    ...scope,
    roleId: body.role_id,
    roiId: body.roi_id,
    modelKey: effectiveModelKey(body.model_key, body.roi_id),
    scorePercentile: absent(body.score_percentile) ? config.inference.scorePercentile : pythonInt(body.score_percentile, 'score_percentile'),
    areaMm2Thr: absent(body.area_mm2_thr) ? config.inference.areaMm2Thr : pythonFloat(body.area_mm2_thr, 'area_mm2_thr'),
    defaultMmPerPx: body.default_mm_per_px ?? null,
    requireNg: body.require_ng === undefined ? true : pythonTruthy(body.require_ng),
  };
}
