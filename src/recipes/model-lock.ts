// The lock that serialises writes of one model (fit, calibration, the recipe's mm_per_px file). One process: an
// in-memory keyed mutex. Several nodes sharing a models directory (BDI_REDIS_URL set): the same mutex, then a lease
// in Redis (RedisModelLock), so two fits of one model on different nodes run one after the other.
import { KeyedMutex } from './keyed-mutex';

/** What the work under the lock may check before it writes: whether the lock is still held. */
export interface ModelLease {
  /** Aborted when the lease was lost (not renewed in time, e.g. Redis down longer than the lease). */
  readonly lost: AbortSignal;
  /** Throws model_lock_unavailable when the lease was lost: call right before writing. */
  assertHeld(): void;
}

export interface ModelLock {
  readonly kind: 'local' | 'redis';
  /** Runs `work` while holding the lock of `key` (a path relative to the models directory). */
  runExclusive<T>(key: string, work: (lease: ModelLease) => Promise<T>): Promise<T>;
}

export const MODEL_LOCK = Symbol('MODEL_LOCK');

const NEVER_LOST: ModelLease = { lost: new AbortController().signal, assertHeld: () => undefined };

/** The single-process lock: arrival order per key, other keys run freely. */
export class LocalModelLock implements ModelLock {
  readonly kind = 'local' as const;
  private readonly mutex = new KeyedMutex();

  runExclusive<T>(key: string, work: (lease: ModelLease) => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(key, () => work(NEVER_LOST));
  }
}
