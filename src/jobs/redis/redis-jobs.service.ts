// The /jobs operations on the Redis backend (BDI_REDIS_URL set): the same contract as the SQLite JobsService. The
// records and every conditional transition live in RedisJobStore (atomic Lua scripts, so nodes race safely) behind
// RedisJobsConnection; the runner's transitions are RedisJobTransitions, this node's BullMQ worker and the boot and
// shutdown are RedisJobWorker, deletion is RedisJobRetention. Cancel is published to every node; the node running
// the job aborts it. Reads hide jobs past their TTL and never delete.
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../common/errors/api-error';
import { payloadFingerprint } from '../job-fingerprint';
import { JobTaskRegistry } from '../job-task-registry';
import { JobSummary, JsonObject, RETRYABLE_STATUSES } from '../job.types';
import { JOBS_CLOCK, JobsClock } from '../jobs.clock';
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
} from '../jobs-api';
import type { RedisJobRecord } from './redis-job-store';
import { RedisJobRetention } from './redis-job-retention';
import { RedisJobTransitions } from './redis-job-transitions';
import { RedisJobsConnection } from './redis-jobs-connection';

@Injectable()
export class RedisJobsService implements JobsApi {
  constructor(
    private readonly connection: RedisJobsConnection,
    private readonly registry: JobTaskRegistry,
    private readonly transitions: RedisJobTransitions,
    private readonly retention: RedisJobRetention,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
  ) {}

  private get store() {
    return this.connection.store;
  }

  create(input: CreateJobInput): Promise<CreatedJob> {
    return this.guard(async () => {
      const handler = this.registry.get(input.task);
      if (!handler) throw new ApiError('unsupported_task', undefined, { task: input.task, supported: this.registry.names() });
      const payload = toJsonObject(handler.validate(input.fields, input.fieldsLocation));
      const fingerprint = payloadFingerprint(input.task, payload);
      // A write: an expired job still holding this idempotency key must give it back first.
      await this.retention.sweepExpired();
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
      await this.connection.enqueue(outcome.job.id, input.task);
      // The item limit holds after every write that added a job.
      await this.retention.sweep();
      return { job: outcome.job, replayed: false };
    });
  }

  get(jobId: string): Promise<JobView> {
    return this.guard(async () => viewOf(this.live(await this.store.findSummary(jobId)) ?? throwNotFound(jobId)));
  }

  result(jobId: string): Promise<JsonObject> {
    return this.guard(async () => resultOf(this.live(await this.store.find(jobId)) ?? throwNotFound(jobId)));
  }

  request(jobId: string): Promise<{ job: JobSummary; payload: JsonObject }> {
    return this.guard(async () => {
      const job = this.live(await this.store.find(jobId)) ?? throwNotFound(jobId);
      return { job, payload: job.payload };
    });
  }

  cancel(jobId: string): Promise<JobView> {
    return this.guard(async () => {
      if (await this.transitions.cancel(jobId)) {
        // Whichever node runs it aborts it; a queued one is dropped from the queue (or skipped at claim).
        await this.connection.publishAbort(jobId);
        await this.connection.removeQueued(jobId);
        await this.retention.sweep();
      }
      const job = this.live(await this.store.findSummary(jobId)) ?? throwNotFound(jobId);
      if (job.status !== 'canceled') throw new ApiError('job_not_cancelable', undefined, { jobId, status: job.status });
      return viewOf(job);
    });
  }

  retry(jobId: string, requestId: string): Promise<JobSummary> {
    return this.guard(async () => {
      const original = this.live(await this.store.find(jobId)) ?? throwNotFound(jobId);
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
      await this.connection.enqueue(outcome.job.id, original.task);
      await this.retention.sweep();
      return outcome.job;
    });
  }

  list(query: JobListQuery): Promise<JobPage> {
    const { limit, beforeSeq } = pageOf(query);
    return this.guard(async () => {
      // Expired records (not yet swept) are not shown.
      const rows = (await this.store.list({ status: query.status, beforeSeq, limit: limit + 1 })).filter((job) => !this.retention.isExpired(job));
      return toPage(rows, limit, viewOf);
    });
  }

  /** A record as reads see it: a job past its TTL is gone for them, though only RedisJobRetention deletes it. */
  private live(job: RedisJobRecord | null): RedisJobRecord | null {
    return job && !this.retention.isExpired(job) ? job : null;
  }

  /** Contract errors pass; anything else while Redis is unreachable is 503 queue_unavailable. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (!this.connection.connected() || isRedisConnectionError(error)) {
        throw new ApiError('queue_unavailable', undefined, { backend: 'redis' }, { 'Retry-After': '1' });
      }
      throw error;
    }
  }
}

/** A record as the routes see it: its summary and the progress its running node reported. */
function viewOf(job: RedisJobRecord): JobView {
  return { ...job, progress: job.progress ?? null };
}

function throwNotFound(jobId: string): never {
  throw notFound(jobId);
}

function isRedisConnectionError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return /enableOfflineQueue|Connection is closed|ECONNREFUSED|MaxRetriesPerRequest|Stream isn't writeable/i.test(message);
}
