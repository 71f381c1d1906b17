// The /jobs operations on the embedded SQLite backend: create (idempotency), read, list, cancel, retry. The runner's
// transitions live in JobTransitions, boot recovery and shutdown in JobsBoot, /health's view in SqliteJobsHealth,
// deletion in JobRetention. Reads hide jobs past their TTL and never delete.
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../common/errors/api-error';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { payloadFingerprint } from './job-fingerprint';
import { JobRepository } from './job.repository';
import { JobRetention } from './job-retention';
import { JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JobTransitions } from './job-transitions';
import { JobSummary, JsonObject, RETRYABLE_STATUSES } from './job.types';
import { JOBS_CLOCK, JobsClock } from './jobs.clock';
import {
  CreatedJob,
  CreateJobInput,
  JobListQuery,
  JobPage,
  JobsApi,
  JobView,
  notFound,
  pageOf,
  resultOf,
  toJsonObject,
  toPage,
} from './jobs-api';

@Injectable()
export class JobsService implements JobsApi {
  constructor(
    private readonly repository: JobRepository,
    private readonly runner: JobRunner,
    private readonly registry: JobTaskRegistry,
    private readonly transitions: JobTransitions,
    private readonly retention: JobRetention,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  create(input: CreateJobInput): CreatedJob {
    const handler = this.registry.get(input.task);
    if (!handler) throw new ApiError('unsupported_task', undefined, { task: input.task, supported: this.registry.names() });
    const payload = toJsonObject(handler.validate(input.fields, input.fieldsLocation));
    // A write: an expired job still holding this idempotency key must give it back first.
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
    // The item limit holds after every write that added a job.
    this.retention.sweep();
    return { job: outcome.job, replayed: false };
  }

  get(jobId: string): JobView {
    const job = this.live(this.repository.findSummary(jobId));
    if (!job) throw notFound(jobId);
    return this.view(job);
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
    if (this.transitions.cancel(jobId)) {
      this.runner.abort(jobId, 'canceled');
      this.retention.sweep();
    }
    const job = this.live(this.repository.findSummary(jobId));
    if (!job) throw notFound(jobId);
    if (job.status !== 'canceled') throw new ApiError('job_not_cancelable', undefined, { jobId, status: job.status });
    return this.view(job);
  }

  /** A new job from a failed/canceled/timed-out job's stored request, linked to it by retryOf. */
  retry(jobId: string, requestId: string): JobSummary {
    const original = this.live(this.repository.find(jobId));
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

  private view(job: JobSummary): JobView {
    return { ...job, progress: job.status === 'running' ? this.transitions.progressOf(job.id) : null };
  }

  /** A row as reads see it: a job past its TTL is gone for them, though only JobRetention deletes it. */
  private live<T extends JobSummary>(job: T | null | undefined): T | null {
    return job && !this.retention.isExpired(job) ? job : null;
  }
}
