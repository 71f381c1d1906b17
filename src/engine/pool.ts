// InferencePool: the main thread's door to the engine. A Piscina pool of worker threads, each owning its ONNX
// session and FAISS indexes; typed inputs and outputs per task, typed errors rebuilt from the worker's envelope.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Piscina from 'piscina';
import type { BackboneInfo, DeviceRequest } from './backbone';
import { AbortedError, PoolSaturatedError } from './engine-error';
import { fromErrorEnvelope } from './error-envelope';
import { InferBatcher, type BatchItem } from './infer-batcher';
import { DEFAULT_LIMIT_INPUT_PIXELS } from './image';
import type {
  ExtractInput,
  ExtractOutput,
  FitInput,
  FitOutput,
  InferInput,
  InferOutput,
  TaskInput,
  TaskMessage,
  TaskName,
  TaskOutput,
  TaskReply,
  WorkerConfig,
  WorkerInfo,
} from './pool-protocol';
import { repoRoot } from './repo-root';
import { CONTROL_ABORT, newTaskControl, readTaskProgress, TaskProgress } from './task-progress';

export interface InferencePoolOptions {
  /** Backbone manifest (models/backbones/<name>/backbone.json). */
  manifestPath: string;
  /** Worker threads (BDI_WORKERS); default: number of cores. */
  size?: number;
  /** ONNX Runtime intra-op threads per worker; default max(1, floor(cores / size)). */
  intraOpThreads?: number;
  /** Queued (not yet running) tasks accepted before run() rejects with PoolSaturatedError; default 16 × size. */
  maxQueue?: number;
  device?: DeviceRequest;
  requireCuda?: boolean;
  /** Loaded memories per worker (BDI_CACHE_MAX_ENTRIES); default 32. */
  cacheMaxEntries?: number;
  limitInputPixels?: number;
  /** V8 old-generation limit per worker (MB): a task exceeding it kills only that worker (ERR_WORKER_OUT_OF_MEMORY). */
  maxHeapMb?: number | null;
  tempDir?: string;
  /**
   * Dynamic batching (infer-batcher.ts): concurrent `infer` tasks up to this many go to one worker as one batch
   * whose backbone run has batch dimension N (BDI_BATCH_MAX); 1 (default) sends every infer alone.
   */
  batchMax?: number;
  /** Longest wait of a request for a fuller batch while a worker is free (BDI_BATCH_DELAY_MS); default 2. */
  batchDelayMs?: number;
  /** Test seam: the compiled worker entry. */
  workerFile?: string;
}

export interface PoolStats {
  workers: number;
  /** Worker thread ids: stable while no worker is replaced (cancellation never replaces one). */
  threadIds: number[];
  queueDepth: number;
  maxQueue: number;
  saturated: boolean;
  /** Share of worker time spent running tasks since start, 0..1 (Piscina's utilization). */
  utilisation: number;
  completed: number;
  running: number;
}

export interface RunOptions {
  /** Cancels a queued task (dropped when it reaches a worker); a running fit stops at its next image or within
   *  the coreset loop; a running single inference just finishes and the caller discards it. */
  signal?: AbortSignal;
  /** Called (at most every PROGRESS_POLL_MS, and once at the end) when a long task's progress changed. */
  onProgress?: (progress: TaskProgress) => void;
  /**
   * `infer`: move the image's ArrayBuffer to the worker instead of copying it (the caller's bytes are detached:
   * set it only when the caller does not read them afterwards). A view over part of a larger buffer is compacted
   * first (one copy), so the main thread never copies the image more than once.
   */
  transferImage?: boolean;
}

const PROGRESS_POLL_MS = 200;

export interface PoolBackboneInfo extends BackboneInfo {
  /** Why the device differs from the request (e.g. `cuda_not_available`), when it does. */
  deviceReason?: string;
}

/** Workers run compiled JS: from ts-jest (this file is .ts) they live in <repo>/dist/src/engine/. */
export function resolveWorkerFile(): string {
  return __filename.endsWith('.ts') ? join(repoRoot(), 'dist', 'src', 'engine', 'worker.js') : join(__dirname, 'worker.js');
}

export class InferencePool {
  private readonly piscina: Piscina<TaskMessage, TaskReply | unknown>;
  private readonly config: WorkerConfig;
  private infoCache: Promise<WorkerInfo> | null = null;
  private running = 0;
  private readonly batcher: InferBatcher | null;
  readonly size: number;
  readonly maxQueue: number;

  constructor(options: InferencePoolOptions) {
    const cores = availableParallelism();
    this.size = Math.max(1, options.size ?? cores);
    this.maxQueue = Math.max(0, options.maxQueue ?? 16 * this.size);
    this.config = {
      manifestPath: options.manifestPath,
      device: options.device ?? 'auto',
      requireCuda: options.requireCuda ?? false,
      intraOpThreads: Math.max(1, options.intraOpThreads ?? Math.floor(cores / this.size)),
      cacheMaxEntries: options.cacheMaxEntries ?? 32,
      limitInputPixels: options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS,
      tempDir: options.tempDir,
      batchMax: Math.max(1, Math.floor(options.batchMax ?? 1)),
    };
    // libgomp and OpenBLAS read these from the real process environment when FAISS is first loaded (by the
    // first worker), so they must be set process-wide before any worker starts; workers also cap them natively.
    for (const key of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS']) process.env[key] ??= '1';
    this.piscina = new Piscina({
      filename: options.workerFile ?? resolveWorkerFile(),
      minThreads: this.size,
      maxThreads: this.size,
      idleTimeout: Number.POSITIVE_INFINITY,
      maxQueue: this.maxQueue,
      workerData: this.config,
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      ...(options.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {}),
    });
    const batchMax = Math.max(1, Math.floor(options.batchMax ?? 1));
    this.batcher =
      batchMax > 1
        ? new InferBatcher({ maxBatch: batchMax, delayMs: Math.max(0, options.batchDelayMs ?? 2), slots: this.size, dispatch: (items) => this.runBatch(items) })
        : null;
  }

  /**
   * Runs one task on any worker. Rejects with the worker's typed error (same class, code, details).
   * Cancellation never kills a worker (it would lose its session): the signal raises a shared flag that the
   * worker checks before starting a task and that long tasks (fit) poll between images and in the coreset loop.
   */
  async run<K extends TaskName>(task: K, input: TaskInput<K>, options: RunOptions = {}): Promise<TaskOutput<K>> {
    if (options.signal?.aborted) throw new AbortedError();
    if (this.isSaturated()) throw new PoolSaturatedError(undefined, { queueDepth: this.queueDepth(), maxQueue: this.maxQueue });
    if (task === 'infer' && this.batcher) return (await this.batcher.submit(input as InferInput, options)) as TaskOutput<K>;
    const transferList: ArrayBuffer[] = [];
    if (options.transferImage && task === 'infer') input = withTransferredImage(input as InferInput, transferList) as TaskInput<K>;
    return this.runTask(task, input, options, transferList);
  }

  /** One batch of the batcher: one `inferBatch` task; each item settles with its own reply. */
  private async runBatch(items: BatchItem[]): Promise<void> {
    const transferList: ArrayBuffer[] = [];
    const inputs = items.map((item) => (item.transferImage ? withTransferredImage(item.input, transferList) : item.input));
    const { replies } = await this.runTask('inferBatch', { items: inputs }, {}, transferList);
    items.forEach((item, i) => {
      const reply = replies[i];
      if (reply.ok) item.resolve(reply.value);
      else item.reject(fromErrorEnvelope(reply.error));
    });
  }

  private async runTask<K extends TaskName>(task: K, input: TaskInput<K>, options: RunOptions, transferList: ArrayBuffer[]): Promise<TaskOutput<K>> {
    const abortFlag = newTaskControl();
    const raise = (): void => {
      Atomics.store(abortFlag, CONTROL_ABORT, 1);
    };
    options.signal?.addEventListener('abort', raise, { once: true });
    const poll = options.onProgress ? progressPoller(abortFlag, options.onProgress) : null;
    this.running++;
    let reply: TaskReply;
    try {
      reply = (await this.piscina.run({ task, input, abortFlag }, transferList.length > 0 ? { transferList } : {})) as TaskReply;
    } finally {
      this.running--;
      options.signal?.removeEventListener('abort', raise);
      poll?.stop();
    }
    if (!reply.ok) throw fromErrorEnvelope(reply.error);
    return reply.value as TaskOutput<K>;
  }

  extract(input: ExtractInput, options?: RunOptions): Promise<ExtractOutput> {
    return this.run('extract', input, options);
  }

  fit(input: FitInput, options?: RunOptions): Promise<FitOutput> {
    return this.run('fit', input, options);
  }

  infer(input: InferInput, options?: RunOptions): Promise<InferOutput> {
    return this.run('infer', input, options);
  }

  /** Loads the backbone in a worker (first call) and reports it; cached. */
  workerInfo(): Promise<WorkerInfo> {
    if (!this.infoCache) {
      this.infoCache = this.run('info', {});
      this.infoCache.catch(() => {
        this.infoCache = null;
      });
    }
    return this.infoCache;
  }

  async backboneInfo(): Promise<PoolBackboneInfo> {
    return (await this.workerInfo()).backbone;
  }

  /**
   * Starts every worker's backbone session now and runs one dummy inference in each (warm-up), rather than on the
   * first requests; the service reports ready only after it.
   */
  async warmUp(): Promise<WorkerInfo[]> {
    return Promise.all(Array.from({ length: this.size }, () => this.run('info', { warmUp: true })));
  }

  isSaturated(): boolean {
    return this.maxQueue > 0 ? this.queueDepth() >= this.maxQueue : this.running + (this.batcher?.queued ?? 0) >= this.size;
  }

  /** Tasks waiting for a worker, requests waiting for a batch included. */
  private queueDepth(): number {
    return this.piscina.queueSize + (this.batcher?.queued ?? 0);
  }

  stats(): PoolStats {
    return {
      workers: this.piscina.threads.length,
      threadIds: this.piscina.threads.map((t) => t.threadId),
      queueDepth: this.queueDepth(),
      maxQueue: this.maxQueue,
      saturated: this.isSaturated(),
      utilisation: this.piscina.utilization,
      completed: this.piscina.completed,
      running: Math.min(this.running, this.size),
    };
  }

  async close(): Promise<void> {
    await this.piscina.close();
  }
}

/** The input with an image that owns its whole (non-shared) ArrayBuffer, listed in `transferList`. */
export function withTransferredImage(input: InferInput, transferList: ArrayBuffer[]): InferInput {
  const view = input.image;
  if (view.buffer instanceof SharedArrayBuffer) return input;
  const image = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice();
  transferList.push(image.buffer as ArrayBuffer);
  return image === view ? input : { ...input, image };
}

/** Reads a task's control array on a timer and reports each change (the worker publishes without messages). */
function progressPoller(control: Int32Array, onProgress: (progress: TaskProgress) => void): { stop(): void } {
  let last = '';
  const check = (): void => {
    const progress = readTaskProgress(control);
    const key = progress ? `${progress.phase}:${progress.done}:${progress.total}` : '';
    if (progress && key !== last) {
      last = key;
      onProgress(progress);
    }
  };
  const timer = setInterval(check, PROGRESS_POLL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      check();
    },
  };
}
