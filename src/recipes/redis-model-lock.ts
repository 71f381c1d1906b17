// A model lock shared by every node of a deployment: `SET <prefix>:lock:<key> <token> NX PX <lease>`, renewed every
// third of the lease while the work runs, released with a compare-and-delete. A node that dies stops renewing and
// its lock expires after one lease, so a crash never blocks the model. Work of the same key on one node queues on an
// in-memory mutex first (one Redis contender per node). A lease that could not be renewed in time is lost: the work
// sees it (ModelLease.lost / assertHeld) and must not write.
import type { OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../common/errors/api-error';
import { KeyedMutex } from './keyed-mutex';
import type { ModelLease, ModelLock } from './model-lock';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

type LockCommands = {
  bdiLockRenew(key: string, token: string, leaseMs: string): Promise<number>;
  bdiLockRelease(key: string, token: string): Promise<number>;
};

export interface RedisModelLockOptions {
  url: string;
  prefix: string;
  /** Lease of a held lock; renewed every leaseMs / 3. */
  leaseMs: number;
  nodeId: string;
  logger?: Logger;
  /** Polling interval while another node holds the lock (default min(250, leaseMs / 4)). */
  pollMs?: number;
}

export class RedisModelLock implements ModelLock, OnModuleDestroy {
  readonly kind = 'redis' as const;
  private readonly client: Redis & LockCommands;
  private readonly local = new KeyedMutex();
  private closed = false;

  constructor(private readonly options: RedisModelLockOptions) {
    // Commands fail at once while Redis is unreachable (→ 503 model_lock_unavailable); the client reconnects itself.
    const client = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    client.defineCommand('bdiLockRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('bdiLockRelease', { numberOfKeys: 1, lua: RELEASE });
    this.client = client as Redis & LockCommands;
  }

  runExclusive<T>(key: string, work: (lease: ModelLease) => Promise<T>): Promise<T> {
    return this.local.runExclusive(key, async () => {
      const redisKey = `${this.options.prefix}:lock:${key}`;
      const token = `${this.options.nodeId}:${randomUUID()}`;
      await this.acquire(redisKey, token);
      const lease = this.keepAlive(redisKey, token);
      try {
        return await work(lease.lease);
      } finally {
        lease.stop();
        await this.client.bdiLockRelease(redisKey, token).catch(() => 0);
      }
    });
  }

  /** Who holds a lock now (its token starts with the holder's node id), null when free. */
  holder(key: string): Promise<string | null> {
    return this.client.get(`${this.options.prefix}:lock:${key}`);
  }

  /** Whether its Redis connection is up (/health). */
  connected(): boolean {
    return this.client.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  private async acquire(redisKey: string, token: string): Promise<void> {
    const pollMs = this.options.pollMs ?? Math.min(250, Math.max(20, Math.floor(this.options.leaseMs / 4)));
    for (;;) {
      if (this.closed) throw unavailable('the service is shutting down');
      let reply: string | null;
      try {
        await this.waitForConnection();
        reply = await this.client.set(redisKey, token, 'PX', this.options.leaseMs, 'NX');
      } catch (error) {
        throw unavailable((error as Error).message);
      }
      if (reply === 'OK') return;
      await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
    }
  }

  /** Waits a little for a connection being (re)established; commands fail at once otherwise. */
  private async waitForConnection(): Promise<void> {
    if (this.client.status === 'ready') return;
    const waitMs = Math.min(2000, this.options.leaseMs);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs).unref();
      this.client.on('ready', done);
    });
  }

  /** Renews the lease every third of it; when no renewal succeeded for a whole lease (or the key is gone), it is lost. */
  private keepAlive(redisKey: string, token: string): { lease: ModelLease; stop: () => void } {
    const controller = new AbortController();
    const { leaseMs } = this.options;
    let heldUntil = Date.now() + leaseMs;
    let renewing = false;
    const lose = (reason: string): void => {
      if (controller.signal.aborted) return;
      this.options.logger?.warn({ lock: redisKey, reason }, 'model lock lost');
      clearInterval(timer);
      controller.abort(unavailable(reason));
    };
    const timer = setInterval(() => {
      if (this.closed) return clearInterval(timer);
      if (renewing || controller.signal.aborted) return;
      renewing = true;
      const sent = Date.now();
      this.client
        .bdiLockRenew(redisKey, token, String(leaseMs))
        .then((renewed) => {
          if (renewed === 1) heldUntil = sent + leaseMs;
          else lose('the lock expired or was taken over');
        })
        .catch(() => {
          if (Date.now() >= heldUntil) lose('Redis unreachable for longer than the lease');
        })
        .finally(() => {
          renewing = false;
        });
    }, Math.max(10, Math.floor(leaseMs / 3)));
    timer.unref();
    const lease: ModelLease = {
      lost: controller.signal,
      assertHeld: () => {
        if (Date.now() >= heldUntil) lose('lease not renewed in time');
        if (controller.signal.aborted) throw controller.signal.reason;
      },
    };
    return { lease, stop: () => clearInterval(timer) };
  }
}

function unavailable(reason: string): ApiError {
  return new ApiError('model_lock_unavailable', undefined, { backend: 'redis', reason }, { 'Retry-After': '1' });
}
