// Dynamic batching of `infer` tasks on the main thread (as Triton's dynamic batcher): requests wait in a queue
// until `maxBatch` of them are there or the oldest has waited `delayMs`, and a worker slot is free; then up to
// `maxBatch` go to ONE worker as an `inferBatch` task, whose backbone run has batch dimension N
// (batching-session.ts). A pool has one backbone and every infer input is sized for it, so one queue serves all
// (the worker groups by input shape again should sizes differ). Each request gets its own answer or error.
import { AbortedError } from './engine-error';
import type { InferInput, InferOutput } from './pool-protocol';

export interface BatchItem {
  input: InferInput;
  /** Move the image's buffer to the worker (RunOptions.transferImage). */
  transferImage: boolean;
  resolve: (output: InferOutput) => void;
  reject: (error: unknown) => void;
}

interface Waiting extends BatchItem {
  enqueuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface InferBatcherOptions {
  /** Largest batch (BDI_BATCH_MAX, ≥ 2 here; 1 means no batcher at all). */
  maxBatch: number;
  /** Longest wait of the oldest request for a fuller batch while a worker is free (BDI_BATCH_DELAY_MS). */
  delayMs: number;
  /** Batches in flight at most (the pool's worker count). */
  slots: number;
  /** Sends one batch; settles every item of it (resolve or reject) before it resolves. */
  dispatch: (items: BatchItem[]) => Promise<void>;
  /** Test seams: clock and timer. */
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => { cancel(): void };
}

const realTimer = (callback: () => void, ms: number): { cancel(): void } => {
  const timer = setTimeout(callback, ms);
  timer.unref?.();
  return { cancel: () => clearTimeout(timer) };
};

export class InferBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  private timer: { cancel(): void } | null = null;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<InferBatcherOptions['setTimer']>;

  constructor(private readonly options: InferBatcherOptions) {
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? realTimer;
  }

  /** Requests waiting for a batch (not yet sent to a worker). */
  get queued(): number {
    return this.queue.length;
  }

  get batchesInFlight(): number {
    return this.inFlight;
  }

  submit(input: InferInput, options: { signal?: AbortSignal; transferImage?: boolean } = {}): Promise<InferOutput> {
    if (options.signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise<InferOutput>((resolve, reject) => {
      const waiting: Waiting = { input, transferImage: options.transferImage === true, resolve, reject, enqueuedAt: this.now(), signal: options.signal };
      if (options.signal) {
        // Cancelled while queued: leaves the queue at once; once sent, the item just finishes (as a single task).
        waiting.onAbort = () => {
          const at = this.queue.indexOf(waiting);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(new AbortedError());
        };
        options.signal.addEventListener('abort', waiting.onAbort, { once: true });
      }
      this.queue.push(waiting);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.slots) {
      const full = this.queue.length >= this.options.maxBatch;
      const waitedMs = this.now() - this.queue[0].enqueuedAt;
      if (!full && waitedMs < this.options.delayMs) {
        this.arm(this.options.delayMs - waitedMs);
        return;
      }
      this.send(this.queue.splice(0, this.options.maxBatch));
    }
  }

  private arm(ms: number): void {
    if (this.timer) return;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.pump();
    }, ms);
  }

  private send(items: Waiting[]): void {
    this.timer?.cancel();
    this.timer = null;
    for (const item of items) if (item.onAbort) item.signal?.removeEventListener('abort', item.onAbort);
    this.inFlight++;
    this.options
      .dispatch(items)
      .catch((error: unknown) => {
        for (const item of items) item.reject(error);
      })
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }
}
