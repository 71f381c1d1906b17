// The runner's side of the Redis state machine, on the node that received the job from BullMQ, plus the cancel the
// HTTP façade asks for and the two transitions the BullMQ worker needs (interrupted, handed back at shutdown). Every
// transition is one Lua script in RedisJobStore, so nodes race safely and a terminal state is final.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiError } from '../../common/errors/api-error';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { CANCELED_MESSAGE, describeFailure, INTERRUPTED_MESSAGE, TIMEOUT_MESSAGE } from '../jobs-api';
import { ClaimedJob, JobLifecycle } from '../job-runner';
import { JobTaskRegistry } from '../job-task-registry';
import { JobProgress, JsonObject } from '../job.types';
import { JOBS_CLOCK, JobsClock } from '../jobs.clock';
import { RedisJobRetention } from './redis-job-retention';
import { RedisJobsConnection } from './redis-jobs-connection';

@Injectable()
export class RedisJobTransitions implements JobLifecycle {
  constructor(
    private readonly connection: RedisJobsConnection,
    private readonly registry: JobTaskRegistry,
    private readonly retention: RedisJobRetention,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  private get store() {
    return this.connection.store;
  }

  async claim(jobId: string): Promise<ClaimedJob | null> {
    const job = await this.store.find(jobId);
    if (!job) return null;
    const handler = this.registry.get(job.task);
    // `running` too: BullMQ re-delivers the job of a node that died (its lock expired); the record still says running.
    const claimed = await this.store.transition(jobId, ['pending', 'running'], 'running', {
      startedAt: this.clock.now(),
      node: this.config.jobs.nodeId,
    });
    if (!claimed) return null;
    if (!handler) {
      await this.fail(jobId, new ApiError('unsupported_task', undefined, { task: job.task }));
      return null;
    }
    return { id: job.id, requestId: job.requestId, handler, payload: job.payload, timeoutMs: handler.timeoutSeconds(this.config) * 1000 };
  }

  async succeed(jobId: string, result: JsonObject): Promise<void> {
    if (await this.store.complete(jobId, ['running'], { status: 'done', finishedAt: this.clock.now(), result })) await this.finished(jobId);
    await this.retention.sweep();
  }

  async fail(jobId: string, error: unknown): Promise<void> {
    const failure = describeFailure(error);
    if (failure.code === 'internal_error') this.logger.error({ err: error, jobId }, 'job failed unexpectedly');
    const changed = await this.store.complete(jobId, ['running'], {
      status: 'failed',
      finishedAt: this.clock.now(),
      error: failure.message,
      errorCode: failure.code,
    });
    if (changed) await this.finished(jobId);
    await this.retention.sweep();
  }

  async expire(jobId: string): Promise<void> {
    const changed = await this.store.complete(jobId, ['running'], { status: 'timeout', finishedAt: this.clock.now(), error: TIMEOUT_MESSAGE, errorCode: 'job_timeout' });
    if (changed) await this.finished(jobId);
    await this.retention.sweep();
  }

  progress(jobId: string, progress: JobProgress): void {
    void this.store.setProgress(jobId, progress).catch(() => undefined);
  }

  /** pending/running → canceled; false when the job is in another state (or gone). The caller aborts the work. */
  async cancel(jobId: string): Promise<boolean> {
    const changed = await this.store.complete(jobId, ['pending', 'running'], {
      status: 'canceled',
      finishedAt: this.clock.now(),
      error: CANCELED_MESSAGE,
      errorCode: 'job_canceled',
    });
    if (changed) await this.finished(jobId);
    return changed;
  }

  /** A job whose node died more often than BDI_JOBS_MAX_STALLED: failed/interrupted, never left running. */
  async interrupt(jobId: string): Promise<void> {
    try {
      await this.store.complete(jobId, ['pending', 'running'], {
        status: 'failed',
        finishedAt: this.clock.now(),
        error: INTERRUPTED_MESSAGE,
        errorCode: 'interrupted',
      });
    } catch (error) {
      this.logger.error({ err: error, jobId }, 'could not mark a stalled job interrupted');
    }
  }

  /** Graceful shutdown: running here → pending again, for another node; false when the job is not running here. */
  async handBack(jobId: string): Promise<boolean> {
    const record = await this.store.findSummary(jobId).catch(() => null);
    if (record?.status !== 'running' || record.node !== this.config.jobs.nodeId) return false;
    await this.store.transition(jobId, ['running'], 'pending', { startedAt: null, node: null });
    return true;
  }

  /** A transition to a terminal state happened: count it and log it with its duration (as JobTransitions does). */
  private async finished(jobId: string): Promise<void> {
    const job = await this.store.findSummary(jobId);
    if (!job) return;
    this.metrics.countJobFinished(job.task, job.status);
    const durationMs = job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null;
    const fields = { jobId, task: job.task, status: job.status, node: job.node, durationMs, errorCode: job.errorCode ?? undefined, ...job.labels };
    if (job.status === 'done' || job.status === 'canceled') this.logger.info(fields, `job ${job.status}`);
    else this.logger.warn(fields, job.status === 'timeout' ? 'job timed out' : 'job failed');
  }
}
