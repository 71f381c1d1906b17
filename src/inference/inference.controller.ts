import { Body, Controller, Get, Headers, HttpCode, Post, Query, UploadedFiles, UseInterceptors, Inject } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { INFER_BODY } from '../common/openapi/multipart-bodies';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { currentRequestId, enterRecipe } from '../recipes/recipe-context';
import { FieldReader, requireJsonObject, UploadedPart } from './form-fields';
import { MultipartInterceptor } from './multipart.interceptor';
import {
  artifactQueryFrom,
  calibrateDatasetFromJson,
  calibrateNgFromJson,
  fitOkFromForm,
  inferDatasetFromJson,
  inferFromForm,
} from './inference-inputs';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { ModelStateService } from './model-state.service';
import { ScoringService } from './scoring.service';

type Fields = Record<string, unknown>;

@ApiTags('inspection')
@Controller()
export class InferenceController {
  constructor(
    private readonly fit: FitService,
    private readonly calibration: CalibrationService,
    private readonly scoring: ScoringService,
    private readonly modelState: ModelStateService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('fit_ok')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Fit the PatchCore memory of one ROI from its OK dataset (use_dataset=true) or uploaded images' })
  fitOk(@Body() body: Fields, @UploadedFiles() files: UploadedPart[], @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(body ?? {}, 'body', files ?? []);
    const scope = { recipeId: enterRecipe(reader.optionalString('recipe_id'), header), requestId: currentRequestId() };
    return this.fit.fitOk(fitOkFromForm(reader, scope));
  }

  @Post('calibrate_ng')
  @HttpCode(200)
  @ApiOperation({ summary: 'Choose and store the threshold from OK/NG scores' })
  calibrateNg(@Body() raw: unknown, @Headers('x-recipe-id') header?: string) {
    const body = requireJsonObject(raw);
    const scope = { recipeId: enterRecipe(body.recipe_id, header), requestId: currentRequestId() };
    return this.calibration.calibrateNg(calibrateNgFromJson(body, scope, this.config));
  }

  @Post('infer')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Score one ROI crop: score, threshold, decision, heatmap (NG or include_heatmap), regions' })
  @ApiBody({ schema: INFER_BODY })
  infer(@Body() body: Fields, @UploadedFiles() files: UploadedPart[], @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(body ?? {}, 'body', files ?? []);
    const scope = { recipeId: enterRecipe(reader.optionalString('recipe_id'), header), requestId: currentRequestId() };
    return this.scoring.infer(inferFromForm(reader, scope));
  }

  @Post('infer_dataset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score every stored sample of one ROI (per-item errors)' })
  inferDataset(@Body() raw: unknown, @Headers('x-recipe-id') header?: string) {
    const body = requireJsonObject(raw);
    const scope = { recipeId: enterRecipe(body.recipe_id, header), requestId: currentRequestId() };
    return this.scoring.inferDataset(inferDatasetFromJson(body, scope));
  }

  @Post('calibrate_dataset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score the stored OK/NG samples and store the chosen threshold' })
  calibrateDataset(@Body() raw: unknown, @Headers('x-recipe-id') header?: string) {
    const body = requireJsonObject(raw);
    const scope = { recipeId: enterRecipe(body.recipe_id, header), requestId: currentRequestId() };
    return this.calibration.calibrateDataset(calibrateDatasetFromJson(body, scope, this.config));
  }

  @Get('manifest')
  @ApiOperation({ summary: 'Artifacts and dataset of one ROI model' })
  manifest(@Query() query: Fields, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = { recipeId: enterRecipe(query.recipe_id, header), requestId: currentRequestId() };
    return this.modelState.manifest(artifactQueryFrom(reader, scope));
  }

  @Get('state')
  @ApiOperation({ summary: 'Whether the ROI model is fitted and calibrated' })
  state(@Query() query: Fields, @Headers('x-recipe-id') header?: string) {
    const reader = new FieldReader(query, 'query');
    const scope = { recipeId: enterRecipe(query.recipe_id, header), requestId: currentRequestId() };
    return this.modelState.state(artifactQueryFrom(reader, scope));
  }
}
