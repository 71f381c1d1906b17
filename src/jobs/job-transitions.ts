// The runner's side of the SQLite state machine: pending → running → done | failed | timeout, and the cancel the
// HTTP façade asks for. Every transition is a conditional UPDATE in JobRepository, so whichever of finish / cancel /
// timeout comes first wins and a terminal state is final. Also keeps the progress of the jobs running here.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiError } from '../common/errors/api-error';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { CANCELED_MESSAGE, describeFailure, TIMEOUT_MESSAGE } from './jobs-api';
import { JobRepository } from './job.repository';
import { JobRetention } from './job-retention';
import { ClaimedJob, JobLifecycle } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JobProgress, JsonObject } from './job.types';
import { JOBS_CLOCK, JobsClock } from './jobs.clock';

@Injectable()
export class JobTransitions implements JobLifecycle {
  /** Progress of the jobs running in this process (the last report of each; dropped when the job finishes). */
  private readonly progressById = new Map<string, JobProgress>();

  constructor(
    private readonly repository: JobRepository,
    private readonly registry: JobTaskRegistry,
    private readonly retention: JobRetention,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

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

  /** pending/running → canceled; false when the job is in another state (or gone). The caller aborts the work. */
  cancel(jobId: string): boolean {
    const changed = this.repository.complete(jobId, ['pending', 'running'], {
      status: 'canceled',
      finishedAt: this.clock.now(),
      error: CANCELED_MESSAGE,
      errorCode: 'job_canceled',
    });
    if (changed) this.finished(jobId);
    return changed;
  }

  /** The last progress a job running here reported; null when none. */
  progressOf(jobId: string): JobProgress | null {
    return this.progressById.get(jobId) ?? null;
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
}
