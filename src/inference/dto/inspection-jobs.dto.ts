// The fields of the inspection job tasks (`infer`, `fit-ok`, `infer-dataset`, `calibrate-dataset`): the routes'
// fields as JSON, images as base64. Validated once at job creation by the same validateDto as the routes.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { Coerce } from '../../common/validation/coerce';
import { BoolField, InvalidField, NumberField, RecipeIdField, TextField } from '../../common/wire/form-fields';
import type { HeatmapScaleMode } from '../../engine/heatmap-png';
import { HeatmapScaleField } from './heatmap-scale.field';
import { CalibrateDatasetBody, InferDatasetBody } from './dataset-pass.dto';
import { RECIPE_ID_DOC, ROI_ID_DOC, ROLE_ID_DOC } from '../../common/wire/model-ref.fields';
import { MM_PER_PX_DOC, MODEL_KEY_DOC } from './model-fields';

/** An InvalidField fails the property with its message (the coercion already decided). */
function reported(): PropertyDecorator {
  return ValidateBy({
    name: 'wireValue',
    validator: { validate: (v: unknown) => !(v instanceof InvalidField), defaultMessage: (args) => (args?.value as InvalidField).message },
  });
}

const IMAGE_BASE64_DOC = 'Image as a data URL (data:image/png;base64,...) or bare base64';

class ModelJobFields {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  @RecipeIdField()
  recipe_id!: string;

  @ApiProperty(ROLE_ID_DOC)
  @TextField({ required: true, from: 'json' })
  role_id!: string;

  @ApiProperty(ROI_ID_DOC)
  @TextField({ required: true, from: 'json' })
  roi_id!: string;

  @ApiProperty(MM_PER_PX_DOC)
  @NumberField({ required: true, from: 'json' })
  mm_per_px!: number;

  @ApiPropertyOptional(MODEL_KEY_DOC)
  model_key?: unknown;
}

export class InferJobFields extends ModelJobFields {
  @ApiProperty({ description: IMAGE_BASE64_DOC, example: 'iVBORw0KGgo...' })
  @TextField({ required: true, from: 'json' })
  imageBase64!: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Heatmap even for an OK decision (false: never)' })
  @BoolField({ from: 'json' })
  include_heatmap?: boolean;

  @HeatmapScaleField()
  heatmap_scale?: HeatmapScaleMode;

  @ApiPropertyOptional({
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }],
    nullable: true,
    example: { kind: 'circle', cx: 64, cy: 64, r: 60 },
    description: 'Optional mask: a JSON object or its JSON text',
  })
  @Coerce((raw) =>
    raw !== undefined && raw !== null && typeof raw !== 'string' && (typeof raw !== 'object' || Array.isArray(raw))
      ? new InvalidField('Input should be a JSON object or JSON text')
      : (raw ?? null),
  )
  @reported()
  shape!: string | Record<string, unknown> | null;
}

export class FitOkJobFields extends ModelJobFields {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Keep every patch (no coreset subsampling)' })
  @BoolField({ from: 'json' })
  memory_fit?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, example: true, description: "Fit from the ROI's stored OK samples" })
  @BoolField({ from: 'json' })
  use_dataset?: boolean;

  @ApiPropertyOptional({ type: [String], description: `Images to fit from (upload mode): ${IMAGE_BASE64_DOC}` })
  @Coerce((raw) =>
    raw === undefined || raw === null
      ? []
      : !Array.isArray(raw) || raw.some((i) => typeof i !== 'string')
        ? new InvalidField('Input should be a list of base64 strings')
        : raw,
  )
  @reported()
  imagesBase64!: string[];
}

export class InferDatasetJobFields extends InferDatasetBody {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  @RecipeIdField()
  override recipe_id: string = 'default';
}

export class CalibrateDatasetJobFields extends CalibrateDatasetBody {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  @RecipeIdField()
  override recipe_id: string = 'default';
}
