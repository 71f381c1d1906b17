// The dataset routes' fields: a (role, ROI) in the query or the upload form, a class label and a file name.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FilesField, TextField, TextListField } from '../../common/wire/form-fields';
import { FormModelRef, QueryModelRef } from '../../common/wire/model-ref.fields';
import type { UploadedPart } from '../../common/wire/uploaded-part';

/** GET /datasets/list: one (role, ROI). */
export class DatasetQuery extends QueryModelRef {}

/** DELETE /datasets/clear: one class of a (role, ROI). */
export class DatasetClassQuery extends QueryModelRef {
  @ApiProperty({ type: String, enum: ['ok', 'ng'], example: 'ok' })
  @TextField({ required: true, from: 'form', keepEmpty: true })
  label!: string;
}

/** GET/DELETE /datasets/file, GET /datasets/meta: one sample. */
export class DatasetFileQuery extends DatasetClassQuery {
  @ApiProperty({ type: String, example: 'ok_20240101_120000_000001.png', description: 'Stored file name (from /datasets/list)' })
  @TextField({ required: true, from: 'form', keepEmpty: true })
  filename!: string;
}

/** POST /datasets/{ok,ng}/upload (multipart form). */
export class DatasetUploadForm extends FormModelRef {
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more image files' })
  @FilesField({ required: true })
  images!: UploadedPart[];

  @ApiPropertyOptional({
    type: String,
    example: '{"mm_per_px":0.2}',
    description: 'JSON object (applies to every image) or JSON array of objects, one per image; mm_per_px is checked against the recipe lock',
  })
  @TextListField()
  metas!: string[];
}

export class UploadResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: [String], description: 'Stored file names, in upload order' }) saved!: string[];
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class DeleteFileResponse {
  @ApiProperty() deleted!: boolean;
  @ApiProperty() filename!: string;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class ClearResponse {
  @ApiProperty({ description: 'Files deleted' }) cleared!: number;
  @ApiProperty() label!: string;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}

export class DatasetClassListing {
  @ApiProperty() count!: number;
  @ApiProperty({ type: [String] }) files!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' }, description: 'file → has a meta JSON' }) meta!: Record<string, boolean>;
}

export class ListResponse {
  @ApiProperty() role_id!: string;
  @ApiProperty() roi_id!: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/DatasetClassListing' }, description: 'ok / ng' })
  classes!: Record<string, DatasetClassListing>;
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
}
