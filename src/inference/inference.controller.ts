import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MultipartInterceptor } from '../common/wire/multipart';
import { RecipeScope, RequestScope } from '../common/wire/recipe-scope';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CalibrateNgBody, toCalibrateNgInput } from './dto/calibrate-ng.dto';
import { CalibrateDatasetBody, InferDatasetBody, toCalibrateDatasetInput, toInferDatasetInput } from './dto/dataset-pass.dto';
import { FitOkForm, toFitOkInput } from './dto/fit-ok.dto';
import { InferForm, toInferInput } from './dto/infer.dto';
import {
  CalibrateDatasetResponse,
  CalibrateNgResponse,
  DatasetClassResponse,
  FitOkResponse,
  InferDatasetResponse,
  InferResponse,
  ManifestResponse,
  StateResponse,
} from './dto/inspection-responses.dto';
import { ModelQuery, toArtifactQuery } from './dto/model-query.dto';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { ModelStateService } from './model-state.service';
import { ScoringService } from './scoring.service';

/** Thin: the DTO is validated by the global pipe, @RecipeScope resolves the recipe, one service method answers. */
@ApiTags('inspection')
@ApiHeader({ name: 'X-Recipe-Id', required: false, description: 'Recipe when the payload names none (default: "default"); "last" is reserved' })
@ApiExtraModels(DatasetClassResponse)
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
  @ApiBody({ type: FitOkForm })
  @ApiOperation({ summary: 'Fit the PatchCore memory of one ROI from its OK dataset (use_dataset=true) or uploaded images' })
  @ApiOkResponse({ type: FitOkResponse })
  fitOk(@RecipeScope('form') scope: RequestScope, @Body() form: FitOkForm): Promise<FitOkResponse> {
    return this.fit.fitOk(toFitOkInput(form, scope));
  }

  @Post('calibrate_ng')
  @HttpCode(200)
  @ApiOperation({ summary: 'Choose and store the threshold from OK/NG scores' })
  @ApiOkResponse({ type: CalibrateNgResponse })
  calibrateNg(@RecipeScope() scope: RequestScope, @Body() body: CalibrateNgBody): Promise<CalibrateNgResponse> {
    return this.calibration.calibrateNg(toCalibrateNgInput(body, scope, this.config));
  }

  @Post('infer')
  @HttpCode(200)
  @UseInterceptors(MultipartInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: InferForm })
  @ApiOperation({ summary: 'Score one ROI crop: score, threshold, decision, heatmap (NG or include_heatmap), regions' })
  @ApiOkResponse({ type: InferResponse })
  infer(@RecipeScope('form') scope: RequestScope, @Body() form: InferForm): Promise<InferResponse> {
    return this.scoring.infer(toInferInput(form, scope));
  }

  @Post('infer_dataset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score every stored sample of one ROI (per-item errors)' })
  @ApiOkResponse({ type: InferDatasetResponse })
  inferDataset(@RecipeScope() scope: RequestScope, @Body() body: InferDatasetBody): Promise<InferDatasetResponse> {
    return this.scoring.inferDataset(toInferDatasetInput(body, scope));
  }

  @Post('calibrate_dataset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Score the stored OK/NG samples and store the chosen threshold' })
  @ApiOkResponse({ type: CalibrateDatasetResponse })
  calibrateDataset(@RecipeScope() scope: RequestScope, @Body() body: CalibrateDatasetBody): Promise<CalibrateDatasetResponse> {
    return this.calibration.calibrateDataset(toCalibrateDatasetInput(body, scope, this.config));
  }

  @Get('manifest')
  @ApiOperation({ summary: 'Artifacts and dataset of one ROI model' })
  @ApiOkResponse({ type: ManifestResponse })
  manifest(@RecipeScope('query') scope: RequestScope, @Query() query: ModelQuery): Promise<ManifestResponse> {
    return this.modelState.manifest(toArtifactQuery(query, scope));
  }

  @Get('state')
  @ApiOperation({ summary: 'Whether the ROI model is fitted and calibrated' })
  @ApiOkResponse({ type: StateResponse })
  state(@RecipeScope('query') scope: RequestScope, @Query() query: ModelQuery): Promise<StateResponse> {
    return this.modelState.state(toArtifactQuery(query, scope));
  }
}
