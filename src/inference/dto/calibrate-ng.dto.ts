import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { effectiveModelKey } from '../../common/wire/form-fields';
import { flattenScores, pythonFloat, pythonInt } from '../../common/wire/python-values';
import type { RequestScope } from '../../common/wire/recipe-scope';
import type { AppConfig } from '../../config/app-config';
import type { CalibrateNgInput } from '../inference.types';
import { JsonModelRef } from '../../common/wire/model-ref.fields';
import { MODEL_KEY_DOC } from './model-fields';

const SCORES_DOC = { type: 'array', items: { type: 'number' }, description: 'Scores (nested arrays are flattened; NaN/±Inf/null dropped)' } as const;

/**
 * POST /calibrate_ng (JSON). Numbers are converted as the original's `float(x)`/`int(x)` did (numeric strings
 * accepted; an unconvertible value is a 400 bad_request naming the field), in the original's order.
 */
export class CalibrateNgBody extends JsonModelRef {
  @ApiPropertyOptional(MODEL_KEY_DOC)
  model_key?: unknown;

  @ApiPropertyOptional({ type: Number, default: 0.2, description: 'Millimetres per pixel (stored with the threshold)' })
  mm_per_px?: unknown;

  @ApiProperty({ ...SCORES_DOC, example: [0.11, 0.12, 0.1] })
  ok_scores?: unknown;

  @ApiPropertyOptional({ ...SCORES_DOC, example: [0.5, 0.61] })
  ng_scores?: unknown;

  @ApiPropertyOptional({ type: Number, description: 'Minimum region area, mm² (default: BDI area_mm2_thr)' })
  area_mm2_thr?: unknown;

  @ApiPropertyOptional({ type: 'integer', description: 'Percentile of the OK scores (default: BDI score_percentile)' })
  score_percentile?: unknown;
}


export function toCalibrateNgInput(body: CalibrateNgBody, scope: RequestScope, config: AppConfig): CalibrateNgInput {
  const max = config.inference.maxScoresPerCalibration;
  return {
    ...scope,
    roleId: body.role_id,
    roiId: body.roi_id,
    modelKey: effectiveModelKey(body.model_key, body.roi_id),
    mmPerPx: body.mm_per_px === undefined ? 0.2 : pythonFloat(body.mm_per_px, 'mm_per_px'),
    okScores: flattenScores(body.ok_scores, 'ok_scores', max),
    ngScores: flattenScores(body.ng_scores, 'ng_scores', max),
    areaMm2Thr: body.area_mm2_thr === undefined ? config.inference.areaMm2Thr : pythonFloat(body.area_mm2_thr, 'area_mm2_thr'),
    scorePercentile: body.score_percentile === undefined ? config.inference.scorePercentile : pythonInt(body.score_percentile, 'score_percentile'),
  };
}
