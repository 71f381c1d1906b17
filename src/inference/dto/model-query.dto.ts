import { ApiPropertyOptional } from '@nestjs/swagger';
import { TextField, effectiveModelKey } from '../../common/wire/form-fields';
import { QueryModelRef } from '../../common/wire/model-ref.fields';
import type { RequestScope } from '../../common/wire/recipe-scope';
import type { ArtifactQueryInput } from '../inference.types';
import { MODEL_KEY_DOC } from './model-fields';

/** GET /manifest and GET /state: the model a query names. */
export class ModelQuery extends QueryModelRef {
  @ApiPropertyOptional(MODEL_KEY_DOC)
  @TextField({ from: 'form' })
  model_key?: string;
}

export function toArtifactQuery(query: ModelQuery, scope: RequestScope): ArtifactQueryInput {
  return { ...scope, roleId: query.role_id, roiId: query.roi_id, modelKey: effectiveModelKey(query.model_key, query.roi_id) };
}
