import { Controller, Get, Headers, HttpCode } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/errors/api-error';
import { currentRequestContext } from '../common/request-context/request-context';
import { resolveRecipeId } from '../common/wire/recipe-id';
import { HealthService } from './health.service';
import { HealthResponse, LivenessResponse, ReadinessResponse } from './dto/health.response';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Service health (fields of both original backends); X-Recipe-Id is validated' })
  @ApiOkResponse({ type: HealthResponse })
  @ApiHeader({ name: 'X-Recipe-Id', required: false, description: 'Recipe context; "last" is reserved' })
  get(@Headers('x-recipe-id') recipeHeader?: string): ReturnType<HealthService['health']> {
    const context = currentRequestContext();
    const recipeId = resolveRecipeId(undefined, recipeHeader);
    if (context) context.recipeId = recipeId;
    return this.health.health(context?.requestId ?? '', recipeId);
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessResponse })
  live(): LivenessResponse {
    return { status: 'ok', requestId: currentRequestContext()?.requestId ?? '' };
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: the worker pool and the backbone are loaded (503 otherwise)' })
  @ApiOkResponse({ type: ReadinessResponse })
  ready(): ReadinessResponse {
    if (!this.health.isReady()) throw new ApiError('not_ready', 'Worker pool or backbone not loaded yet, or the job store (Redis) unreachable');
    return { status: 'ready', requestId: currentRequestContext()?.requestId ?? '' };
  }
}
