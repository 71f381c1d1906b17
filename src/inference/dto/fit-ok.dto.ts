import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BoolField, FilesField, NumberField, TextField, effectiveModelKey } from '../../common/wire/form-fields';
import type { UploadedPart } from '../../common/wire/uploaded-part';
import type { RequestScope } from '../../common/wire/recipe-scope';
import type { FitOkInput } from '../inference.types';
import { FormModelRef } from '../../common/wire/model-ref.fields';
import { MM_PER_PX_DOC, MODEL_KEY_DOC } from './model-fields';

/** POST /fit_ok (multipart form). */
export class FitOkForm extends FormModelRef {
  @ApiProperty(MM_PER_PX_DOC)
  @NumberField({ required: true, from: 'form' })
  mm_per_px!: number;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Keep every patch (no coreset subsampling)' })
  @BoolField({ from: 'form' })
  memory_fit?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, example: true, description: "Fit from the ROI's stored OK samples" })
  @BoolField({ from: 'form' })
  use_dataset?: boolean;

  @ApiPropertyOptional(MODEL_KEY_DOC)
  @TextField({ from: 'form' })
  model_key?: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', format: 'binary' }, description: 'Images to fit from (upload mode)' })
  @FilesField({})
  images?: UploadedPart[];
}

export function toFitOkInput(form: FitOkForm, scope: RequestScope): FitOkInput {
  return {
    ...scope,
    roleId: form.role_id,
    roiId: form.roi_id,
    modelKey: effectiveModelKey(form.model_key, form.roi_id),
    modelKeyRaw: form.model_key ?? null,
    recipeIdRaw: form.recipe_id ?? null,
    mmPerPx: form.mm_per_px,
    memoryFit: form.memory_fit ?? false,
    useDataset: form.use_dataset ?? false,
    images: (form.images ?? []).map((f, i) => ({ bytes: f.buffer, name: f.originalname || `image_${i}` })),
  };
}
