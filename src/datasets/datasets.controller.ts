import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res, StreamableFile, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { MultipartInterceptor } from '../common/wire/multipart';
import { RecipeScope, RequestScope } from '../common/wire/recipe-scope';
import { DatasetLabel } from '../recipes/model-store';
import { parseLabel } from './dataset-label';
import {
  ClearResponse,
  DatasetClassListing,
  DatasetClassQuery,
  DatasetFileQuery,
  DatasetQuery,
  DatasetUploadForm,
  DeleteFileResponse,
  ListResponse,
  UploadResponse,
} from './dto/dataset-requests.dto';
import { DatasetScope, DatasetsService } from './datasets.service';

function datasetScope(scope: RequestScope, query: { role_id: string; roi_id: string }): DatasetScope {
  return { ...scope, roleId: query.role_id, roiId: query.roi_id };
}

@ApiTags('datasets')
@ApiHeader({ name: 'X-Recipe-Id', required: false, description: 'Recipe when the payload names none (default: "default"); "last" is reserved' })
@ApiExtraModels(DatasetClassListing)
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post('ok/upload')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Store OK samples (images[] + optional metas[] JSON, one per image)' })
  @ApiBody({ type: DatasetUploadForm })
  @ApiOkResponse({ type: UploadResponse })
  uploadOk(@RecipeScope('form') scope: RequestScope, @Body() form: DatasetUploadForm) {
    return this.upload('ok', scope, form);
  }

  @Post('ng/upload')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Store NG samples (images[] + optional metas[] JSON, one per image)' })
  @ApiBody({ type: DatasetUploadForm })
  @ApiOkResponse({ type: UploadResponse })
  uploadNg(@RecipeScope('form') scope: RequestScope, @Body() form: DatasetUploadForm) {
    return this.upload('ng', scope, form);
  }

  @Get('list')
  @ApiOperation({ summary: 'List the samples of one (role, ROI) per class' })
  @ApiOkResponse({ type: ListResponse })
  list(@RecipeScope('query') scope: RequestScope, @Query() query: DatasetQuery) {
    return this.datasets.list(datasetScope(scope, query));
  }

  @Get('file')
  @ApiOperation({ summary: 'Raw bytes of one sample' })
  @ApiProduces('image/png', 'image/jpeg', 'image/bmp', 'image/webp', 'application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  async file(@RecipeScope('query') scope: RequestScope, @Query() query: DatasetFileQuery, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const file = await this.datasets.readFile(datasetScope(scope, query), parseLabel(query.label), query.filename);
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
    res.setHeader('ETag', `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`);
    res.setHeader('Last-Modified', new Date(file.mtimeMs).toUTCString());
    return new StreamableFile(file.bytes, { type: file.contentType, length: file.size });
  }

  @Delete('file')
  @ApiOperation({ summary: "Delete one sample (and its meta) of the recipe's own dataset" })
  @ApiOkResponse({ type: DeleteFileResponse })
  deleteFile(@RecipeScope('query') scope: RequestScope, @Query() query: DatasetFileQuery) {
    return this.datasets.deleteFile(datasetScope(scope, query), parseLabel(query.label), query.filename);
  }

  @Get('meta')
  @ApiOperation({ summary: 'Stored meta JSON of one sample' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  meta(@RecipeScope('query') scope: RequestScope, @Query() query: DatasetFileQuery) {
    return this.datasets.readMeta(datasetScope(scope, query), parseLabel(query.label), query.filename);
  }

  @Delete('clear')
  @ApiOperation({ summary: "Delete every file of one class of the recipe's own dataset" })
  @ApiOkResponse({ type: ClearResponse })
  clear(@RecipeScope('query') scope: RequestScope, @Query() query: DatasetClassQuery) {
    return this.datasets.clear(datasetScope(scope, query), parseLabel(query.label), query.label);
  }

  private upload(label: DatasetLabel, scope: RequestScope, form: DatasetUploadForm) {
    return this.datasets.upload({
      ...datasetScope(scope, form),
      label,
      images: form.images.map((f) => ({ bytes: f.buffer, fileName: f.originalname })),
      metas: form.metas,
    });
  }
}
