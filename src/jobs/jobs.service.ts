// The job state machine (pending → running → done | failed | canceled | timeout), idempotency and retention.
// The only writer of job rows: every transition is a conditional UPDATE in JobRepository, so whichever of
// finish / cancel / timeout comes first wins and a terminal state is final.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, isCodedError } from '../common/errors/api-error';
import { ERROR_CODES } from '../common/errors/error-codes';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobsHealth, JobsHealthSource } from '../common/health/health-sources';
import { decodeJobCursor, encodeJobCursor } from './job-cursor';
import { payloadFingerprint } from './job-fingerprint';
import { JobRepository } from './job.repository';
import { JobRetention } from './job-retention';
import { ClaimedJob, JobLifecycle, JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JOB_STATUSES, JobProgress, JobRecord, JobStatus, JobSummary, JsonObject, RETRYABLE_STATUSES } from './job.types';
import { JOBS_CLOCK, JobsClock } from './jobs.clock';
import { MetricsService } from '../metrics/metrics.service';

export const CANCELED_MESSAGE = 'job canceled by user';
export const TIMEOUT_MESSAGE = 'job exceeded processing timeout';
export const INTERRUPTED_MESSAGE = ERROR_CODES.interrupted.message;
export const MAX_PAGE_SIZE = 100;

export interface CreateJobInput {
  task: string;
  /** The task's own fields (top-level body fields or the `payload` object). */
  fields: JsonObject;
  /** Where `fields` sit in the request body, for validation error locations. */
  fieldsLocation: string[];
  idempotencyKey: string | null;
  requestId: string;
}

export interface CreatedJob {
  job: JobSummary;
  /** True when an idempotency key returned an existing job instead of creating one. */
  replayed: boolean;
}

/** A job as the API shows it: the stored summary plus the progress of a running job. */
export interface JobView extends JobSummary {
  progress: JobProgress | null;
}

export interface JobPage {
  items: JobView[];
  nextCursor: string | null;
}

@Injectable()
export class JobsService implements JobLifecycle, JobsHealthSource, OnApplicationBootstrap, OnModuleDestroy {
  private readonly retention: JobRetention;
  /** Progress of the jobs running in this process (the last report of each; dropped when the job finishes). */
  private readonly progressById = new Map<string, JobProgress>();
  private readonly metrics: MetricsService;

  constructor(
    private readonly repository: JobRepository,
    private readonly runner: JobRunner,
    private readonly registry: JobTaskRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    metrics: MetricsService,
  ) {
    this.metrics = metrics;
    this.retention = new JobRetention(repository, config, clock, logger);
    runner.bind(this);
    metrics.gauge('bdi_jobs', 'Stored jobs by status', 'status', () => this.repository.countsByStatus());
  }

  /** After every module registered its handlers: check them, recover the previous process's jobs, start sweeping. */
  onApplicationBootstrap(): void {
    this.registry.assertComplete();
    const interrupted = this.repository.failRunning(this.clock.now(), INTERRUPTED_MESSAGE, 'interrupted');
    const pending = this.repository.pendingIds();
    if (interrupted > 0 || pending.length > 0) {
      this.logger.info({ interrupted, resumed: pending.length }, 'jobs recovered from the previous run');
    }
    for (const id of pending) this.runner.enqueue(id);
    this.retention.start();
  }

  onModuleDestroy(): void {
    this.retention.stop();
    this.runner.stop();
    this.repository.close();
  }

  // ---- HTTP operations ------------------------------------------------------------------------------------------

  create(input: CreateJobInput): CreatedJob {
    const handler = this.registry.get(input.task);
    if (!handler) throw new ApiError('unsupported_task', undefined, { task: input.task, supported: this.registry.names() });
    const payload = toJsonObject(handler.validate(input.fields, input.fieldsLocation));
    this.retention.sweepExpired();
    const outcome = this.repository.createOrFind({
      id: randomUUID(),
      task: input.task,
      payload,
      fingerprint: payloadFingerprint(input.task, payload),
      idempotencyKey: input.idempotencyKey,
      requestId: input.requestId,
      retryOf: null,
      createdAt: this.clock.now(),
    });
    if (!outcome.created) {
      if (outcome.job.fingerprint !== payloadFingerprint(input.task, payload)) {
        throw new ApiError('idempotency_key_conflict', undefined, {
          idempotencyKey: input.idempotencyKey,
          jobId: outcome.job.id,
        });
      }
      return { job: outcome.job, replayed: true };
    }
    this.logger.info({ jobId: outcome.job.id, task: input.task, ...outcome.job.labels }, 'job created');
    this.runner.enqueue(outcome.job.id);
    this.retention.sweep();
    return { job: outcome.job, replayed: false };
  }

  get(jobId: string): JobView {
    const job = this.live(this.repository.findSummary(jobId));
    if (!job) throw notFound(jobId);
    return this.view(job);
  }

  private view(job: JobSummary): JobView {
    return { ...job, progress: job.status === 'running' ? (this.progressById.get(job.id) ?? null) : null };
  }

  /** The task's result plus jobId; a job that is not done answers with the reason (checked in the original's order). */
  result(jobId: string): JsonObject {
    const job = this.live(this.repository.find(jobId));
    if (!job) throw notFound(jobId);
    return resultOf(job);
  }

  /** The stored request of a job (task fields after validation, image data included), as retry re-submits it. */
  request(jobId: string): { job: JobSummary; payload: JsonObject } {
    const job = this.live(this.repository.find(jobId));
    if (!job) throw notFound(jobId);
    return { job, payload: job.payload };
  }

  /** pending/running → canceled (and the work is aborted). Canceling a canceled job answers it unchanged. */
  cancel(jobId: string): JobView {
    this.retention.sweepExpired();
    const changed = this.repository.complete(jobId, ['pending', 'running'], {
      status: 'canceled',
      finishedAt: this.clock.now(),
      error: CANCELED_MESSAGE,
      errorCode: 'job_canceled',
    });
    if (changed) {
      this.finished(jobId);
      this.runner.abort(jobId, 'canceled');
      this.retention.sweep();
    }
    const job = this.repository.findSummary(jobId);
    if (!job) throw notFound(jobId);
    if (job.status !== 'canceled') throw new ApiError('job_not_cancelable', undefined, { jobId, status: job.status });
    return this.view(job);
  }

  /** A new job from a failed/canceled/timed-out job's stored request, linked to it by retryOf. */
  retry(jobId: string, requestId: string): JobSummary {
    this.retention.sweepExpired();
    const original = this.repository.find(jobId);
    if (!original) throw notFound(jobId);
    if (!RETRYABLE_STATUSES.includes(original.status)) {
      throw new ApiError('job_not_retryable', undefined, { jobId, status: original.status });
    }
    if (!this.registry.get(original.task)) throw new ApiError('unsupported_task', undefined, { task: original.task });
    const outcome = this.repository.createOrFind({
      id: randomUUID(),
      task: original.task,
      payload: original.payload,
      fingerprint: original.fingerprint,
      // The key stays with the original job: a retry is a deliberate new attempt, not a replay.
      idempotencyKey: null,
      requestId,
      retryOf: original.id,
      createdAt: this.clock.now(),
    });
    this.logger.info({ jobId: outcome.job.id, task: original.task, retryOf: original.id, ...outcome.job.labels }, 'job created');
    this.runner.enqueue(outcome.job.id);
    this.retention.sweep();
    return outcome.job;
  }

  list(query: JobListQuery): JobPage {
    const { limit, beforeSeq } = pageOf(query);
    // One extra row tells whether another page exists without a COUNT; expired rows (not yet swept) are not shown.
    const rows = this.repository.list({ status: query.status, beforeSeq, limit: limit + 1 }).filter((job) => !this.retention.isExpired(job));
    return toPage(rows, limit, (job) => this.view(job));
  }

  jobsConnected(): boolean {
    return true;
  }

  jobsHealth(): JobsHealth {
    const counts = this.repository.countsByStatus();
    const countsByStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, counts[status] ?? 0]));
    return {
      backend: 'sqlite',
      connection: 'up',
      node: this.config.jobs.nodeId,
      jobsInMemory: Object.values(countsByStatus).reduce((sum, n) => sum + n, 0),
      idempotencyKeysInMemory: this.repository.idempotencyKeyCount(),
      countsByStatus,
    };
  }

  // ---- JobLifecycle (called by JobRunner) ------------------------------------------------------------------------

  claim(jobId: string): ClaimedJob | null {
    const job = this.repository.find(jobId);
    if (!job || job.status !== 'pending') return null;
    const handler = this.registry.get(job.task);
    if (!handler) {
      if (this.repository.markRunning(jobId, this.clock.now())) this.fail(jobId, new ApiError('unsupported_task', undefined, { task: job.task }));
      return null;
    }
    if (!this.repository.markRunning(jobId, this.clock.now(), this.config.jobs.nodeId)) return null;
    this.logger.info({ jobId, task: job.task, waitedMs: this.clock.now() - job.createdAt, ...job.labels }, 'job started');
    // The stored payload is the one the task's parser produced at creation (validated once).
    return {
      id: job.id,
      requestId: job.requestId,
      handler,
      payload: job.payload,
      timeoutMs: handler.timeoutSeconds(this.config) * 1000,
    };
  }

  succeed(jobId: string, result: JsonObject): void {
    if (this.repository.complete(jobId, ['running'], { status: 'done', finishedAt: this.clock.now(), result })) this.finished(jobId);
    this.retention.sweep();
  }

  progress(jobId: string, progress: JobProgress): void {
    const previous = this.progressById.get(jobId);
    this.progressById.set(jobId, progress);
    // Milestones only: a phase change and each quarter of a phase, not every image.
    const quarter = (p: JobProgress | undefined) => (p && p.total > 0 ? Math.floor((4 * p.done) / p.total) : -1);
    if (!previous || previous.phase !== progress.phase || quarter(previous) !== quarter(progress)) {
      this.logger.info({ jobId, ...progress }, 'job progress');
    }
  }

  /** A transition to a terminal state happened: count it, log it with its duration, forget the progress. */
  private finished(jobId: string): void {
    this.progressById.delete(jobId);
    const job = this.repository.findSummary(jobId);
    if (!job) return;
    this.metrics.countJobFinished(job.task, job.status);
    const durationMs = job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null;
    const fields = { jobId, task: job.task, status: job.status, durationMs, errorCode: job.errorCode ?? undefined, ...job.labels };
    if (job.status === 'done' || job.status === 'canceled') this.logger.info(fields, `job ${job.status}`);
    else this.logger.warn(fields, job.status === 'timeout' ? 'job timed out' : 'job failed');
  }

  fail(jobId: string, error: unknown): void {
    const failure = describeFailure(error);
    if (failure.code === 'internal_error') this.logger.error({ err: error, jobId }, 'job failed unexpectedly');
    const changed = this.repository.complete(jobId, ['running'], {
      status: 'failed',
      finishedAt: this.clock.now(),
      error: failure.message,
      errorCode: failure.code,
    });
    if (changed) this.finished(jobId);
    this.retention.sweep();
  }

  expire(jobId: string): void {
    const changed = this.repository.complete(jobId, ['running'], {
      status: 'timeout',
      finishedAt: this.clock.now(),
      error: TIMEOUT_MESSAGE,
      errorCode: 'job_timeout',
    });
    if (changed) this.finished(jobId);
    this.retention.sweep();
  }

  /** A row as reads see it: a job past its TTL is gone for them, though only the retention sweep deletes it. */
  private live<T extends JobSummary>(job: T | null | undefined): T | null {
    return job && !this.retention.isExpired(job) ? job : null;
  }
}

export interface JobListQuery {
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}

/** The limit and keyset position of a list request (400 invalid_pagination / invalid_cursor). */
export function pageOf(query: JobListQuery): { limit: number; beforeSeq: number | undefined } {
  const limit = query.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ApiError('invalid_pagination', undefined, { limit });
  }
  let beforeSeq: number | undefined;
  if (query.cursor !== undefined && query.cursor !== '') {
    const seq = decodeJobCursor(query.cursor);
    if (seq === null) throw new ApiError('invalid_cursor', undefined, { cursor: query.cursor });
    beforeSeq = seq;
  }
  return { limit, beforeSeq };
}

/** `limit + 1` rows → the page and the cursor of the next one. */
export function toPage(rows: JobSummary[], limit: number, view: (job: JobSummary) => JobView): JobPage {
  const items = rows.slice(0, limit).map(view);
  const nextCursor = rows.length > limit ? encodeJobCursor(items[items.length - 1].seq) : null;
  return { items, nextCursor };
}

/** The task's result plus jobId; a job that is not done answers with the reason (checked in the original's order). */
export function resultOf(job: JobRecord): JsonObject {
  const jobId = job.id;
  switch (job.status) {
    case 'failed':
      throw new ApiError('job_failed', job.error ?? undefined, { jobId });
    case 'timeout':
      throw new ApiError('job_timeout', job.error ?? undefined, { jobId });
    case 'canceled':
      throw new ApiError('job_canceled', job.error ?? undefined, { jobId });
    case 'done':
      return { ...(job.result ?? {}), jobId };
    default:
      throw new ApiError('job_not_completed', undefined, { jobId, status: job.status });
  }
}

export function notFound(jobId: string): ApiError {
  return new ApiError('job_not_found', undefined, { jobId });
}

export function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError || isCodedError(error)) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: ERROR_CODES.internal_error.message };
}

export function toJsonObject(value: unknown): JsonObject {
  // Round-trip through JSON: the stored payload is exactly what a retry or a restart will read back.
  const json: unknown = JSON.parse(JSON.stringify(value ?? {}));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('task payload must be a JSON object');
  return json as JsonObject;
}

