// The Redis side of the Redis job backend: the command client, the abort subscriber, the job records (RedisJobStore)
// and the BullMQ queue that carries job ids to the nodes' workers. No lifecycle hooks of its own: RedisJobWorker
// closes it last at shutdown, after the worker that uses it.
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import Redis, { RedisOptions } from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { RedisJobStore } from './redis-job-store';

export const QUEUE = 'jobs';

export interface QueuedJob {
  id: string;
}

@Injectable()
export class RedisJobsConnection {
  readonly store: RedisJobStore;
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly queue: Queue<QueuedJob>;
  private readonly abortChannel: string;
  private queueClient: { status: string } | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { redisUrl, redisPrefix } = config.jobs;
    if (!redisUrl) throw new Error('the Redis job backend needs BDI_REDIS_URL');
    // Commands fail at once while Redis is unreachable (→ 503 queue_unavailable); the clients reconnect by themselves.
    const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false };
    this.client = new Redis(redisUrl, failFast);
    this.subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
    // Connection errors surface as 503 queue_unavailable and /health; an unhandled 'error' event must not crash the node.
    for (const c of [this.client, this.subscriber]) c.on('error', () => undefined);
    this.store = new RedisJobStore(this.client, redisPrefix);
    this.queue = new Queue<QueuedJob>(QUEUE, { connection: { ...redisOptions(redisUrl), enableOfflineQueue: false }, prefix: bullPrefix(config) });
    this.queue.on('error', () => undefined);
    void this.queue.client.then((c) => (this.queueClient = c)).catch(() => undefined);
    this.abortChannel = `${redisPrefix}:abort`;
  }

  /** Whether Redis answers now: our client and the queue's own connection (after a restart it can come back later). */
  connected(): boolean {
    return this.client.status === 'ready' && (this.queueClient === null || this.queueClient.status === 'ready');
  }

  async enqueue(jobId: string, task: string): Promise<void> {
    await this.queue.add(task, { id: jobId }, { jobId, removeOnComplete: true, removeOnFail: { age: 3600 }, attempts: 1 });
  }

  /** Drops a job that is still waiting in the queue (a running one is aborted through publishAbort). */
  async removeQueued(jobId: string): Promise<void> {
    await this.queue.remove(jobId).catch(() => 0);
  }

  /** Tells every node to abort the job if it runs it. */
  async publishAbort(jobId: string): Promise<void> {
    await this.client.publish(this.abortChannel, jobId);
  }

  async onAbort(listener: (jobId: string) => void): Promise<void> {
    await this.subscriber.subscribe(this.abortChannel);
    this.subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.abortChannel) listener(jobId);
    });
  }

  /** Jobs waiting in BullMQ, shared by every node. */
  waitingCount(): Promise<number> {
    return this.queue.getWaitingCount();
  }

  queueReady(): Promise<unknown> {
    return this.queue.waitUntilReady();
  }

  async close(): Promise<void> {
    await bounded(this.queue.close(), 5000);
    for (const c of [this.subscriber, this.client]) c.disconnect();
  }
}

export function bullPrefix(config: AppConfig): string {
  return `${config.jobs.redisPrefix}:bull`;
}

/** ioredis options of a redis:// URL, for the connections BullMQ creates and closes itself. */
export function redisOptions(url: string): RedisOptions {
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
export async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = work.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return result;
}
