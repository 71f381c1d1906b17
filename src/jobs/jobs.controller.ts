import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { fieldError, validationError } from '../common/validation/validation-error';
import { currentRequestContext } from '../common/request-context/request-context';
import { CreateJobDto, MAX_IDEMPOTENCY_KEY_LENGTH, taskFieldsOf } from './dto/create-job.dto';
import { JobAcceptedResponse, JobListResponse, JobRequestResponse, JobResponse, JobResultResponse } from './dto/job.response';
import { toJobAccepted, toJobList, toJobRequest, toJobResponse } from './dto/job.mapper';
import { ListJobsQuery } from './dto/list-jobs.query';
import { JsonObject } from './job.types';
import { JOBS_API, JobsApi } from './jobs-api';

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(@Inject(JOBS_API) private readonly jobs: JobsApi) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a job (answers before the work starts)',
    description:
      'Errors: 400 unsupported_task (details.task), 422 validation_error, 422 idempotency_key_conflict. ' +
      'An idempotent replay answers the existing job with its current status and the header Idempotent-Replay: true.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Alternative to body.idempotencyKey' })
  @ApiBody({ type: CreateJobDto })
  @ApiOkResponse({ type: JobAcceptedResponse })
  async create(
    @Body() body: CreateJobDto,
    @Headers('idempotency-key') headerKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobAcceptedResponse> {
    const requestId = requestIdOfThisRequest();
    const { fields, location } = taskFieldsOf(body);
    const { job, replayed } = await this.jobs.create({
      task: body.task,
      fields,
      fieldsLocation: location,
      idempotencyKey: idempotencyKeyOf(body.idempotencyKey, headerKey),
      requestId,
    });
    if (replayed) res.setHeader('Idempotent-Replay', 'true');
    return toJobAccepted(job, requestId);
  }

  @Get()
  @ApiOperation({
    summary: 'List jobs, newest first, with an opaque keyset cursor',
    description: 'Errors: 400 invalid_pagination (details.limit), 400 invalid_cursor (details.cursor), 422 validation_error.',
  })
  @ApiOkResponse({ type: JobListResponse })
  async list(@Query() query: ListJobsQuery): Promise<JobListResponse> {
    return toJobList(await this.jobs.list(query), requestIdOfThisRequest());
  }

  @Get(':jobId')
  @ApiOperation({ summary: 'One job' })
  @ApiOkResponse({ type: JobResponse })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  async get(@Param('jobId') jobId: string): Promise<JobResponse> {
    return toJobResponse(await this.jobs.get(jobId), requestIdOfThisRequest());
  }

  @Get(':jobId/result')
  @ApiOperation({
    summary: "A done job's result (the task's response plus jobId)",
    description: '404 job_not_found; 409 job_failed, job_timeout, job_canceled, job_not_completed (details.status).',
  })
  @ApiOkResponse({ type: JobResultResponse })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  @ApiConflictResponse({ description: 'job_failed | job_timeout | job_canceled | job_not_completed' })
  result(@Param('jobId') jobId: string): Promise<JsonObject> | JsonObject {
    return this.jobs.result(jobId);
  }

  @Get(':jobId/request')
  @ApiOperation({
    summary: "A job's stored request (task fields, image data included): what retry re-submits",
    description: 'Kept out of GET /jobs/{id} because it can be megabytes. 404 job_not_found.',
  })
  @ApiOkResponse({ type: JobRequestResponse })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  async request(@Param('jobId') jobId: string): Promise<JobRequestResponse> {
    const { job, payload } = await this.jobs.request(jobId);
    return toJobRequest(job, payload, requestIdOfThisRequest());
  }

  @Post(':jobId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a pending or running job (aborts its work); canceling again answers it unchanged' })
  @ApiOkResponse({ type: JobResponse })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  @ApiConflictResponse({ description: 'job_not_cancelable (details.status: done | failed | timeout)' })
  async cancel(@Param('jobId') jobId: string): Promise<JobResponse> {
    return toJobResponse(await this.jobs.cancel(jobId), requestIdOfThisRequest());
  }

  @Post(':jobId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-submit the stored request of a failed, canceled or timed-out job as a new job' })
  @ApiOkResponse({ type: JobAcceptedResponse })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  @ApiConflictResponse({ description: 'job_not_retryable (details.status: pending | running | done)' })
  async retry(@Param('jobId') jobId: string): Promise<JobAcceptedResponse> {
    const requestId = requestIdOfThisRequest();
    return toJobAccepted(await this.jobs.retry(jobId, requestId), requestId, jobId);
  }
}

function requestIdOfThisRequest(): string {
  const requestId = currentRequestContext()?.requestId;
  if (!requestId) throw new Error('request context missing');
  return requestId;
}

/** Body or header; empty/null = none; both present and different is ambiguous, so rejected. */
function idempotencyKeyOf(bodyKey: string | null | undefined, headerKey: string | undefined): string | null {
  const fromBody = bodyKey ? bodyKey : null;
  const fromHeader = headerKey ? headerKey : null;
  if (fromBody !== null && fromHeader !== null && fromBody !== fromHeader) {
    throw validationError([fieldError(['header', 'idempotency-key'], 'Idempotency-Key header and body idempotencyKey differ')]);
  }
  if (fromHeader !== null && fromHeader.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw validationError([fieldError(['header', 'idempotency-key'], `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)]);
  }
  return fromBody ?? fromHeader;
}
