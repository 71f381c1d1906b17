// This node's BullMQ worker and the Redis backend's boot and shutdown. Boot: check the @OnJob handlers, listen for
// cancels (the node running the job aborts it), start the worker (JOBS_CONCURRENCY=0: API only) and the retention
// timer. Each delivery runs through the same JobRunner as the embedded backend. A node that dies mid-job stops
// renewing its BullMQ lock: another node's stalled checker re-queues the job, and after BDI_JOBS_MAX_STALLED re-runs
// it ends failed/interrupted. Shutdown hands this node's running jobs back to the queue, then closes Redis last.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, WaitingError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobRunner } from '../job-runner';
import { JobTaskRegistry } from '../job-task-registry';
import { RedisJobRetention } from './redis-job-retention';
import { RedisJobTransitions } from './redis-job-transitions';
import { bounded, bullPrefix, QUEUE, QueuedJob, RedisJobsConnection, redisOptions } from './redis-jobs-connection';

@Injectable()
export class RedisJobWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private worker: Worker<QueuedJob> | null = null;
  private closing = false;

  constructor(
    private readonly connection: RedisJobsConnection,
    private readonly runner: JobRunner,
    private readonly registry: JobTaskRegistry,
    private readonly transitions: RedisJobTransitions,
    private readonly retention: RedisJobRetention,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.registry.assertComplete();
    await this.connection.onAbort((jobId) => this.runner.abort(jobId, 'canceled'));
    const { concurrency, lockMs, maxStalled } = this.config.jobs;
    if (concurrency > 0) {
      this.worker = new Worker<QueuedJob>(QUEUE, (job, token) => this.process(job, token), {
        // BullMQ owns this connection; its worker blocks on it and must retry forever.
        connection: { ...redisOptions(this.config.jobs.redisUrl as string), maxRetriesPerRequest: null },
        prefix: bullPrefix(this.config),
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: maxStalled,
      });
      this.worker.on('error', (error) => {
        if (!this.closing) this.logger.warn({ err: error }, 'BullMQ worker error');
      });
      this.worker.on('failed', (job) => {
        if (job) void this.transitions.interrupt(job.data.id);
      });
    }
    this.retention.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    this.retention.stop();
    this.runner.stop();
    // Closing while BullMQ is still connecting would make its connection emit an unhandled 'Connection is closed'.
    // Bounded: while Redis is down they never become ready, and the node must still shut down.
    await bounded(Promise.all([this.connection.queueReady(), this.worker?.waitUntilReady()]), 2000);
    if (!(await bounded(this.worker?.close() ?? Promise.resolve(), 5000))) await bounded(this.worker?.close(true) ?? Promise.resolve(), 1000);
    await this.connection.close();
  }

  /** One BullMQ delivery: run the job here; on a graceful shutdown hand it back to the queue for another node. */
  private async process(job: Job<QueuedJob>, token?: string): Promise<void> {
    await this.runner.runNow(job.data.id);
    if (this.closing && (await this.transitions.handBack(job.data.id))) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }
}
