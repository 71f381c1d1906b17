// Jobs in Redis, dispatched through BullMQ (BDI_REDIS_URL set). The same contract as the SQLite JobsService: the
// records and every conditional transition live in RedisJobStore (atomic Lua scripts, so nodes race safely), a
// BullMQ queue carries job ids to the nodes' workers, and each worker runs the job through the same JobRunner and
// @OnJob handlers as the embedded runner. Cancel is published to every node; the node running the job aborts it.
// A node that dies mid-job stops renewing its BullMQ lock: another node's stalled checker re-queues the job, and
// after BDI_JOBS_MAX_STALLED re-runs it ends failed/interrupted.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, WaitingError, Worker } from 'bullmq';
import Redis, { RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../../common/errors/api-error';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { JobsHealth, JobsHealthSource } from '../../common/health/health-sources';
import { MetricsService } from '../../metrics/metrics.service';
import { payloadFingerprint } from '../job-fingerprint';
import { ClaimedJob, JobLifecycle, JobRunner } from '../job-runner';
import { JobTaskRegistry } from '../job-task-registry';
import { JobProgress, JobSummary, JsonObject, RETRYABLE_STATUSES } from '../job.types';
import { JOBS_CLOCK, JobsClock } from '../jobs.clock';
import type { JobsApi } from '../jobs-api';
import {
  CANCELED_MESSAGE,
  CreateJobInput,
  CreatedJob,
  INTERRUPTED_MESSAGE,
  JobListQuery,
  JobPage,
  JobView,
  TIMEOUT_MESSAGE,
  describeFailure,
  notFound,
  pageOf,
  resultOf,
  toJsonObject,
  toPage,
} from '../jobs.service';
import { RedisJobStore } from './redis-job-store';

const QUEUE = 'jobs';

interface QueuedJob {
  id: string;
}

@Injectable()
export class RedisJobsService implements JobsApi, JobLifecycle, JobsHealthSource, OnApplicationBootstrap, OnModuleDestroy {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly store: RedisJobStore;
  private readonly queue: Queue<QueuedJob>;
  private worker: Worker<QueuedJob> | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly abortChannel: string;
  private closing = false;

  constructor(
    private readonly runner: JobRunner,
    private readonly registry: JobTaskRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {
    const { redisUrl, redisPrefix } = config.jobs;
    if (!redisUrl) throw new Error('RedisJobsService needs BDI_REDIS_URL');
    // Commands fail at once while Redis is unreachable (→ 503 queue_unavailable); the clients reconnect by themselves.
    const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false };
    this.client = new Redis(redisUrl, failFast);
    this.subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
    // Connection errors surface as 503 queue_unavailable and /health; an unhandled 'error' event must not crash the node.
    for (const c of [this.client, this.subscriber]) c.on('error', () => undefined);
    this.store = new RedisJobStore(this.client, redisPrefix);
    this.queue = new Queue<QueuedJob>(QUEUE, { connection: { ...redisOptions(redisUrl), enableOfflineQueue: false }, prefix: `${redisPrefix}:bull` });
    this.queue.on('error', () => undefined);
    this.abortChannel = `${redisPrefix}:abort`;
    runner.bind(this);
    // Waiting in BullMQ, shared by every node (per-node run counters: bdi_jobs_node_total, counted by the JobRunner).
    metrics.setQueueDepthSource(() => this.queue.getWaitingCount());
  }

  private queueClient: { status: string } | null = null;

  async onApplicationBootstrap(): Promise<void> {
    void this.queue.client.then((c) => (this.queueClient = c)).catch(() => undefined);
    this.registry.assertComplete();
    await this.subscriber.subscribe(this.abortChannel);
    this.subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.abortChannel) this.runner.abort(jobId, 'canceled');
    });
    const { concurrency, lockMs, maxStalled } = this.config.jobs;
    if (concurrency > 0) {
      this.worker = new Worker<QueuedJob>(QUEUE, (job, token) => this.process(job, token), {
        // BullMQ owns this connection; its worker blocks on it and must retry forever.
        connection: { ...redisOptions(this.config.jobs.redisUrl as string), maxRetriesPerRequest: null },
        prefix: `${this.config.jobs.redisPrefix}:bull`,
        concurrency,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: maxStalled,
      });
      this.worker.on('error', (error) => {
        if (!this.closing) this.logger.warn({ err: error }, 'BullMQ worker error');
      });
      // A job whose node died more often than BDI_JOBS_MAX_STALLED: failed/interrupted, never left running.
      this.worker.on('failed', (job) => {
        if (job) void this.interrupted(job.data.id);
      });
    }
    this.sweepTimer = setInterval(() => void this.sweepSafely(), this.config.jobs.sweepIntervalSeconds * 1000);
    this.sweepTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.runner.stop();
    // Closing while BullMQ is still connecting would make its connection emit an unhandled 'Connection is closed'.
    // Bounded: while Redis is down they never become ready, and the node must still shut down.
    await bounded(Promise.all([this.queue.waitUntilReady(), this.worker?.waitUntilReady()]), 2000);
    if (!(await bounded(this.worker?.close() ?? Promise.resolve(), 5000))) await bounded(this.worker?.close(true) ?? Promise.resolve(), 1000);
    await bounded(this.queue.close(), 5000);
    for (const c of [this.subscriber, this.client]) c.disconnect();
  }

  // ---- HTTP operations (JobsApi) --------------------------------------------------------------------------------

  create(input: CreateJobInput): Promise<CreatedJob> {
    return this.guard(async () => {
      const handler = this.registry.get(input.task);
      if (!handler) throw new ApiError('unsupported_task', undefined, { task: input.task, supported: this.registry.names() });
      const payload = toJsonObject(handler.validate(input.fields, input.fieldsLocation));
      const fingerprint = payloadFingerprint(input.task, payload);
      const outcome = await this.store.createOrFind({
        id: randomUUID(),
        task: input.task,
        payload,
        fingerprint,
        idempotencyKey: input.idempotencyKey,
        requestId: input.requestId,
        retryOf: null,
        createdAt: this.clock.now(),
      });
      if (!outcome.created) {
        if (outcome.job.fingerprint !== fingerprint) {
          throw new ApiError('idempotency_key_conflict', undefined, { idempotencyKey: input.idempotencyKey, jobId: outcome.job.id });
        }
        return { job: outcome.job, replayed: true };
      }
      await this.enqueue(outcome.job.id, input.task);
      await this.sweep();
      return { job: outcome.job, replayed: false };
    });
  }

  get(jobId: string): Promise<JobView> {
    return this.guard(async () => (await this.store.findSummary(jobId)) ?? throwNotFound(jobId));
  }

  result(jobId: string): Promise<JsonObject> {
    return this.guard(async () => resultOf((await this.store.find(jobId)) ?? throwNotFound(jobId)));
  }

  request(jobId: string): Promise<{ job: JobSummary; payload: JsonObject }> {
    return this.guard(async () => {
      const job = (await this.store.find(jobId)) ?? throwNotFound(jobId);
      return { job, payload: job.payload };
    });
  }

  cancel(jobId: string): Promise<JobView> {
    return this.guard(async () => {
      const changed = await this.store.complete(jobId, ['pending', 'running'], {
        status: 'canceled',
        finishedAt: this.clock.now(),
        error: CANCELED_MESSAGE,
        errorCode: 'job_canceled',
      });
      if (changed) {
        // Whichever node runs it aborts it; a queued one is dropped from the queue (or skipped at claim).
        await this.finished(jobId);
        await this.client.publish(this.abortChannel, jobId);
        await this.queue.remove(jobId).catch(() => 0);
        await this.sweep();
      }
      const job = (await this.store.findSummary(jobId)) ?? throwNotFound(jobId);
      if (job.status !== 'canceled') throw new ApiError('job_not_cancelable', undefined, { jobId, status: job.status });
      return job;
    });
  }

  retry(jobId: string, requestId: string): Promise<JobSummary> {
    return this.guard(async () => {
      const original = (await this.store.find(jobId)) ?? throwNotFound(jobId);
      if (!RETRYABLE_STATUSES.includes(original.status)) throw new ApiError('job_not_retryable', undefined, { jobId, status: original.status });
      if (!this.registry.get(original.task)) throw new ApiError('unsupported_task', undefined, { task: original.task });
      const outcome = await this.store.createOrFind({
        id: randomUUID(),
        task: original.task,
        payload: original.payload,
        fingerprint: original.fingerprint,
        idempotencyKey: null,
        requestId,
        retryOf: original.id,
        createdAt: this.clock.now(),
      });
      await this.enqueue(outcome.job.id, original.task);
      await this.sweep();
      return outcome.job;
    });
  }

  list(query: JobListQuery): Promise<JobPage> {
    const { limit, beforeSeq } = pageOf(query);
    return this.guard(async () => toPage(await this.store.list({ status: query.status, beforeSeq, limit: limit + 1 }), limit, viewOf));
  }

  jobsConnected(): boolean {
    // The queue's own connection too: after a Redis restart it can come back a moment after ours.
    return this.client.status === 'ready' && (this.queueClient === null || this.queueClient.status === 'ready');
  }

  async jobsHealth(): Promise<JobsHealth> {
    const base = { backend: 'redis' as const, connection: this.jobsConnected() ? ('up' as const) : ('down' as const), node: this.config.jobs.nodeId };
    try {
      const countsByStatus = await this.store.countsByStatus();
      return {
        ...base,
        jobsInMemory: Object.values(countsByStatus).reduce((sum, n) => sum + n, 0),
        idempotencyKeysInMemory: await this.store.idempotencyKeyCount(),
        countsByStatus,
      };
    } catch {
      return { ...base, connection: 'down', jobsInMemory: 0, idempotencyKeysInMemory: 0, countsByStatus: {} };
    }
  }

  // ---- JobLifecycle (called by JobRunner on the node that received the job from BullMQ) ----------------------------

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
    await this.sweep();
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
    await this.sweep();
  }

  async expire(jobId: string): Promise<void> {
    const changed = await this.store.complete(jobId, ['running'], { status: 'timeout', finishedAt: this.clock.now(), error: TIMEOUT_MESSAGE, errorCode: 'job_timeout' });
    if (changed) await this.finished(jobId);
    await this.sweep();
  }

  progress(jobId: string, progress: JobProgress): void {
    void this.store.setProgress(jobId, progress).catch(() => undefined);
  }

  /** A transition to a terminal state happened: count it and log it with its duration (as the SQLite service does). */
  private async finished(jobId: string): Promise<void> {
    const job = await this.store.findSummary(jobId);
    if (!job) return;
    this.metrics.countJobFinished(job.task, job.status);
    const durationMs = job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null;
    const fields = { jobId, task: job.task, status: job.status, node: job.node, durationMs, errorCode: job.errorCode ?? undefined, ...job.labels };
    if (job.status === 'done' || job.status === 'canceled') this.logger.info(fields, `job ${job.status}`);
    else this.logger.warn(fields, job.status === 'timeout' ? 'job timed out' : 'job failed');
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  /** One BullMQ delivery: run the job here; on a graceful shutdown hand it back to the queue for another node. */
  private async process(job: Job<QueuedJob>, token?: string): Promise<void> {
    await this.runner.runNow(job.data.id);
    if (this.closing) {
      const record = await this.store.findSummary(job.data.id).catch(() => null);
      if (record?.status === 'running' && record.node === this.config.jobs.nodeId) {
        await this.store.transition(job.data.id, ['running'], 'pending', { startedAt: null, node: null });
        await job.moveToWait(token);
        throw new WaitingError();
      }
    }
  }

  private async interrupted(jobId: string): Promise<void> {
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

  private async enqueue(jobId: string, task: string): Promise<void> {
    await this.queue.add(task, { id: jobId }, { jobId, removeOnComplete: true, removeOnFail: { age: 3600 }, attempts: 1 });
  }

  private async sweep(): Promise<void> {
    await this.store.sweep(this.clock.now() - this.config.jobs.ttlSeconds * 1000, this.config.jobs.maxItems);
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      if (this.jobsConnected()) this.logger.error({ err: error }, 'job retention sweep failed');
    }
  }

  /** Contract errors pass; anything else while Redis is unreachable is 503 queue_unavailable. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (!this.jobsConnected() || isRedisConnectionError(error)) {
        throw new ApiError('queue_unavailable', undefined, { backend: 'redis' }, { 'Retry-After': '1' });
      }
      throw error;
    }
  }
}

function viewOf(job: JobSummary & { progress?: JobProgress | null }): JobView {
  return { ...job, progress: job.progress ?? null };
}

/** ioredis options of a redis:// URL, for the connections BullMQ creates and closes itself. */
function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Waits for `work` at most `ms`; true when it settled in time (its errors are swallowed: used at shutdown). */
async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return result;
}

function throwNotFound(jobId: string): never {
  throw notFound(jobId);
}

function isRedisConnectionError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|MaxRetriesPerRequest|Stream isn't writeable/i.test(message);
}
