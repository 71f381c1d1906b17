// The (recipe, role, ROI) a request names, as DTO base classes: the same three fields read from a form, a query
// string or a JSON body, documented once. recipe_id is resolved by @RecipeScope (payload > X-Recipe-Id > default);
// it is declared here for the documentation.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TextField } from './form-fields';

export const RECIPE_ID_DOC = { type: String, description: 'Recipe (else the X-Recipe-Id header, else "default")' } as const;
export const ROLE_ID_DOC = { type: String, example: 'Inspection', description: 'Inspection role' } as const;
export const ROI_ID_DOC = { type: String, example: 'inspection-1', description: 'ROI within the role' } as const;

/** Multipart/urlencoded body: required ids must not be empty. */
export class FormModelRef {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  @TextField({ from: 'form' })
  recipe_id?: string;

  @ApiProperty(ROLE_ID_DOC)
  @TextField({ required: true, from: 'form' })
  role_id!: string;

  @ApiProperty(ROI_ID_DOC)
  @TextField({ required: true, from: 'form' })
  roi_id!: string;
}

/** Query string: `role_id=` is a value (the original accepted it). */
export class QueryModelRef {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  recipe_id?: unknown;

  @ApiProperty(ROLE_ID_DOC)
  @TextField({ required: true, from: 'form', keepEmpty: true })
  role_id!: string;

  @ApiProperty(ROI_ID_DOC)
  @TextField({ required: true, from: 'form', keepEmpty: true })
  roi_id!: string;
}

/** JSON body of the original's Dict[str, Any] routes: ids are `str(value)`, only a missing/null one fails. */
export class JsonModelRef {
  @ApiPropertyOptional(RECIPE_ID_DOC)
  recipe_id?: unknown;

  @ApiProperty(ROLE_ID_DOC)
  @TextField({ required: true, from: 'json', keepEmpty: true, stringify: true })
  role_id!: string;

  @ApiProperty(ROI_ID_DOC)
  @TextField({ required: true, from: 'json', keepEmpty: true, stringify: true })
  roi_id!: string;
}
