import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BoolField, FilesField, NumberField, TextField, effectiveModelKey } from '../../common/wire/form-fields';
import type { UploadedPart } from '../../common/wire/uploaded-part';
import type { RequestScope } from '../../common/wire/recipe-scope';
import type { InferRequestInput } from '../inference.types';
import type { HeatmapScaleMode } from '../../engine/heatmap-png';
import { HeatmapScaleField } from './heatmap-scale.field';
import { FormModelRef } from '../../common/wire/model-ref.fields';
import { MM_PER_PX_DOC, MODEL_KEY_DOC } from './model-fields';

/** POST /infer (multipart form). */
export class InferForm extends FormModelRef {
  @ApiProperty({ ...MM_PER_PX_DOC, description: 'Millimetres per pixel of the crop (regions in mm²)' })
  @NumberField({ required: true, from: 'form' })
  mm_per_px!: number;

  @ApiProperty({ type: 'string', format: 'binary', description: 'The ROI crop (PNG, JPEG, BMP, TIFF, WebP)' })
  @FilesField({ required: true })
  image!: UploadedPart[];

  @ApiPropertyOptional({ type: String, example: '{"kind":"circle","cx":64,"cy":64,"r":60}', description: 'Optional mask JSON: rect, circle or annulus' })
  @TextField({ from: 'form' })
  shape?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Heatmap even for an OK decision (false: never)' })
  @BoolField({ from: 'form' })
  include_heatmap?: boolean;

  @HeatmapScaleField()
  heatmap_scale?: HeatmapScaleMode;

  @ApiPropertyOptional(MODEL_KEY_DOC)
  @TextField({ from: 'form' })
  model_key?: string;
}

export function toInferInput(form: InferForm, scope: RequestScope): InferRequestInput {
  return {
    ...scope,
    roleId: form.role_id,
    roiId: form.roi_id,
    modelKey: effectiveModelKey(form.model_key, form.roi_id),
    mmPerPx: form.mm_per_px,
    // The last file part, as Starlette's FormData.get.
    image: form.image[form.image.length - 1].buffer,
    shape: form.shape ?? null,
    includeHeatmap: form.include_heatmap,
    heatmapScale: form.heatmap_scale,
  };
}
