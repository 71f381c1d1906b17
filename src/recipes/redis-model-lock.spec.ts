// The model lock shared through a real redis-server: two lock instances stand for two nodes.
import Redis from 'ioredis';
import { startRedis, TestRedis } from '../../test/e2e/support/redis-server';
import { ApiError } from '../common/errors/api-error';
import { RedisModelLock } from './redis-model-lock';

describe('RedisModelLock', () => {
  let redis: TestRedis;
  const locks: RedisModelLock[] = [];
  const node = (nodeId: string, leaseMs = 400): RedisModelLock => {
    const lock = new RedisModelLock({ url: redis.url, prefix: `t${locks.length}`, leaseMs, nodeId, pollMs: 20 });
    locks.push(lock);
    return lock;
  };
  const pair = (leaseMs = 400): [RedisModelLock, RedisModelLock] => {
    const prefix = `pair${locks.length}`;
    const make = (nodeId: string) => new RedisModelLock({ url: redis.url, prefix, leaseMs, nodeId, pollMs: 20 });
    const two: [RedisModelLock, RedisModelLock] = [make('node-a'), make('node-b')];
    locks.push(...two);
    return two;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const lock of locks) await lock.close();
    await redis?.stop();
  });

  /** A promise and its resolver: the work of one holder waits on it, so the test decides when it ends. */
  const gate = (): { wait: Promise<void>; open: () => void } => {
    let open!: () => void;
    const wait = new Promise<void>((resolve) => (open = resolve));
    return { wait, open };
  };

  it('serialises the work of one key across two nodes, renewing the lease while it runs', async () => {
    const [a, b] = pair(300);
    const events: string[] = [];
    const holdA = gate();
    const aEntered = gate();
    const runA = a.runExclusive('model:x', async (lease) => {
      events.push('a:start');
      aEntered.open();
      await holdA.wait; // held for as long as the test wants: many leases
      lease.assertHeld();
      events.push('a:end');
    });
    await aEntered.wait;
    let bStarted = false;
    const runB = b.runExclusive('model:x', async () => {
      bStarted = true;
      events.push('b:start');
      events.push('b:end');
    });
    // Several lease periods pass (observed through the lock's own key surviving renewals), B still waits.
    for (let i = 0; i < 5; i++) {
      const holder = await a.holder('model:x');
      expect(holder).toMatch(/^node-a:/);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(bStarted).toBe(false);
    holdA.open();
    await Promise.all([runA, runB]);
    expect(events).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
    expect(await a.holder('model:x')).toBeNull();
  });

  it('lets other keys run at the same time', async () => {
    const [a, b] = pair();
    const holdA = gate();
    const aEntered = gate();
    const runA = a.runExclusive('model:one', async () => {
      aEntered.open();
      await holdA.wait;
    });
    await aEntered.wait;
    await b.runExclusive('model:two', async () => undefined); // would wait forever if keys shared one lock
    holdA.open();
    await runA;
  });

  it('frees the lock of a node that died (no renewal, no release) once its lease expires', async () => {
    const [a, b] = pair(300);
    const aEntered = gate();
    void a.runExclusive('model:crash', async () => {
      aEntered.open();
      await new Promise(() => undefined); // never ends: the node "dies" below
    }).catch(() => undefined);
    await aEntered.wait;
    await a.close(); // its connection is gone: renewals stop, nothing is released
    const order: string[] = [];
    await b.runExclusive('model:crash', async () => {
      order.push('b ran');
    });
    expect(order).toEqual(['b ran']);
  });

  it('refuses with 503 model_lock_unavailable while Redis is unreachable', async () => {
    const lock = new RedisModelLock({ url: 'redis://127.0.0.1:1/0', prefix: 'x', leaseMs: 300, nodeId: 'n' });
    locks.push(lock);
    const error = await lock.runExclusive('model:y', async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('model_lock_unavailable');
    expect((error as ApiError).status).toBe(503);
  });

  it('reports a lease that was taken over as lost, so the work does not write', async () => {
    const a = node('node-a', 300);
    const entered = gate();
    const proceed = gate();
    let lost!: AbortSignal;
    const run = a.runExclusive('model:lost', async (lease) => {
      lost = lease.lost;
      entered.open();
      await proceed.wait;
      lease.assertHeld();
      return 'written';
    });
    await entered.wait;
    // Another token now sits in the key, as after an expiry and another node's acquisition.
    const intruder = new Redis(redis.url);
    const prefix = (a as unknown as { options: { prefix: string } }).options.prefix;
    await intruder.set(`${prefix}:lock:model:lost`, 'other:token');
    intruder.disconnect();
    // The next renewal finds the foreign token: the lease is reported lost.
    await new Promise<void>((resolve) => (lost.aborted ? resolve() : lost.addEventListener('abort', () => resolve(), { once: true })));
    proceed.open();
    await expect(run).rejects.toMatchObject({ code: 'model_lock_unavailable' });
    // Its release does not delete the other holder's lock.
    expect(await a.holder('model:lost')).toBe('other:token');
  });
});
