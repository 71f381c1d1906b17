import { Controller, Delete, Get, Headers, HttpCode, Post, Query, Res, StreamableFile, UploadedFiles, UseInterceptors, Body } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UPLOAD_BODY } from '../common/openapi/multipart-bodies';
import type { Response } from 'express';
import { FieldReader, UploadedPart } from '../inference/form-fields';
import { MultipartInterceptor } from '../inference/multipart.interceptor';
import { DatasetLabel } from '../recipes/model-store';
import { currentRequestId, enterRecipe } from '../recipes/recipe-context';
import { parseLabel } from './dataset-label';
import { DatasetScope, DatasetsService } from './datasets.service';

type Query = Record<string, unknown>;

function scopeFrom(reader: FieldReader, values: Record<string, unknown>, header: string | undefined): DatasetScope {
  const recipeId = enterRecipe(values.recipe_id, header);
  const roleId = reader.requiredString('role_id');
  const roiId = reader.requiredString('roi_id');
  return { recipeId, requestId: currentRequestId(), roleId, roiId };
}

function labelAndFile(reader: FieldReader): { label: string; filename: string } {
  return { label: reader.requiredString('label'), filename: reader.requiredString('filename') };
}

@ApiTags('datasets')
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post('ok/upload')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Store OK samples (images[] + optional metas[] JSON, one per image)' })
  @ApiBody({ schema: UPLOAD_BODY })
  uploadOk(@Body() body: Record<string, unknown>, @UploadedFiles() files: UploadedPart[], @Headers('x-recipe-id') header?: string) {
    return this.upload('ok', body, files, header);
  }

  @Post('ng/upload')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Store NG samples (images[] + optional metas[] JSON, one per image)' })
  @ApiBody({ schema: UPLOAD_BODY })
  uploadNg(@Body() body: Record<string, unknown>, @UploadedFiles() files: UploadedPart[], @Headers('x-recipe-id') header?: string) {
    return this.upload('ng', body, files, header);
  }

  @Get('list')
  @ApiOperation({ summary: 'List the samples of one (role, ROI) per class' })
  list(@Query() query: Query, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = scopeFrom(reader, query, header);
    reader.done();
    return this.datasets.list(scope);
  }

  @Get('file')
  @ApiOperation({ summary: 'Raw bytes of one sample' })
  async file(@Query() query: Query, @Res({ passthrough: true }) res: Response, @Headers('x-recipe-id') header?: string): Promise<StreamableFile> {
    const reader = new FieldReader(query, 'query');
    const scope = scopeFrom(reader, query, header);
    const { label, filename } = labelAndFile(reader);
    reader.done();
    const file = await this.datasets.readFile(scope, parseLabel(label), filename);
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
    res.setHeader('ETag', `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`);
    res.setHeader('Last-Modified', new Date(file.mtimeMs).toUTCString());
    return new StreamableFile(file.bytes, { type: file.contentType, length: file.size });
  }

  @Delete('file')
  @ApiOperation({ summary: "Delete one sample (and its meta) of the recipe's own dataset" })
  deleteFile(@Query() query: Query, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = scopeFrom(reader, query, header);
    const { label, filename } = labelAndFile(reader);
    reader.done();
    return this.datasets.deleteFile(scope, parseLabel(label), filename);
  }

  @Get('meta')
  @ApiOperation({ summary: 'Stored meta JSON of one sample' })
  meta(@Query() query: Query, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = scopeFrom(reader, query, header);
    const { label, filename } = labelAndFile(reader);
    reader.done();
    return this.datasets.readMeta(scope, parseLabel(label), filename);
  }

  @Delete('clear')
  @ApiOperation({ summary: "Delete every file of one class of the recipe's own dataset" })
  clear(@Query() query: Query, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = scopeFrom(reader, query, header);
    const label = reader.requiredString('label');
    reader.done();
    return this.datasets.clear(scope, parseLabel(label), label);
  }

  private upload(label: DatasetLabel, body: Record<string, unknown>, files: UploadedPart[] | undefined, header: string | undefined) {
    const reader = new FieldReader(body ?? {}, 'body', files ?? []);
    const scope = scopeFrom(reader, { recipe_id: reader.optionalString('recipe_id') }, header);
    const images = reader.files('images', true);
    const metas = reader.all('metas');
    reader.done();
    return this.datasets.upload({
      ...scope,
      label,
      images: images.map((f) => ({ bytes: f.buffer, fileName: f.originalname })),
      metas,
    });
  }
}
