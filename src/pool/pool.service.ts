import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { ApiError, isCodedError } from '../common/errors/api-error';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { BUILTIN_BACKBONE_NAME, backboneDirectory, resolveBackboneManifest } from '../engine/backbone';
import { ensureBuiltinBackbone } from '../engine/backbone/builtin-backbone';
import { AbortedError, EngineError, PoolSaturatedError } from '../engine/engine-error';
import { InferencePool, PoolBackboneInfo, PoolStats } from '../engine/pool';
import type { TaskInput, TaskName, TaskOutput } from '../engine/pool-protocol';
import type { TaskProgress } from '../engine/task-progress';
import { EngineHealth, EngineHealthSource } from '../common/health/health-sources';
import { MetricsService } from '../metrics/metrics.service';

/**
 * Who is waiting. `interactive` (a synchronous HTTP request) is answered 503 `overloaded` at once when the pool's
 * queue is full; `background` (a job) waits until a task of this pool settles and frees room.
 */
export type PoolPriority = 'interactive' | 'background';

export interface PoolRunOptions {
  signal?: AbortSignal;
  priority: PoolPriority;
  /** Progress published by a long task (fit) from its worker. */
  onProgress?: (progress: TaskProgress) => void;
  /** `infer`: the image bytes move to the worker (detached here); see RunOptions.transferImage. */
  transferImage?: boolean;
}

/**
 * The Nest face of the engine's worker pool: starts it at boot (generating the built-in backbone into the models
 * directory when needed), reports health and metrics, maps pool failures to the error contract, and closes it on
 * shutdown. Every inference in the service goes through run().
 */
@Injectable()
export class InferencePoolService implements OnModuleInit, OnApplicationShutdown, EngineHealthSource {
  private pool: InferencePool | null = null;
  private backbone: PoolBackboneInfo | null = null;
  private loadError: string | null = null;
  /** Background runs waiting for room; woken when any run settles (every run of the pool goes through run()). */
  private readonly roomWaiters = new Set<() => void>();
  readonly backboneName: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly metrics: MetricsService,
  ) {
    this.backboneName = config.inference.backbone ?? BUILTIN_BACKBONE_NAME;
    metrics.value('bdi_pool_queue_depth', 'Inference tasks waiting for a worker', () => this.pool?.stats().queueDepth ?? 0);
    metrics.value('bdi_pool_busy_workers', 'Workers running a task', () => this.pool?.stats().running ?? 0);
    metrics.value('bdi_pool_workers', 'Worker threads', () => this.pool?.stats().workers ?? 0);
    metrics.value('bdi_pool_utilisation', 'Share of worker time spent on tasks since start', () => this.pool?.stats().utilisation ?? 0);
  }

  async onModuleInit(): Promise<void> {
    const { inference, storage } = this.config;
    const backbonesDir = path.join(storage.modelsDir, 'backbones');
    if (this.backboneName === BUILTIN_BACKBONE_NAME) {
      const installed = ensureBuiltinBackbone(backboneDirectory(storage.modelsDir, BUILTIN_BACKBONE_NAME), BUILTIN_BACKBONE_NAME);
      if (installed.generated) this.logger.info({ dir: installed.dir, version: installed.version }, 'generated the built-in backbone');
    }
    this.pool = new InferencePool({
      manifestPath: resolveBackboneManifest(storage.modelsDir, this.backboneName),
      size: inference.workers,
      intraOpThreads: inference.intraOpThreads,
      maxQueue: inference.maxQueue,
      batchMax: inference.batchMax,
      batchDelayMs: inference.batchDelayMs,
      device: inference.device,
      requireCuda: inference.requireCuda,
      cacheMaxEntries: storage.cacheMaxEntries,
      limitInputPixels: inference.maxImagePixels,
      maxHeapMb: inference.workerMaxHeapMb,
    });
    try {
      const workers = await this.pool.warmUp();
      this.backbone = workers[0].backbone;
      this.logger.info(
        {
          backbone: this.backbone.name,
          device: this.backbone.device,
          deviceReason: this.backbone.deviceReason,
          workers: workers.length,
          warmUpMs: workers.map((w) => Math.round(w.warmUpMs ?? 0)),
        },
        'inference pool ready (warm-up inference done in every worker)',
      );
    } catch (error) {
      // Without CUDA when it is required, the service must not start; any other backbone failure keeps the rest
      // of the service (datasets, jobs, health) up and answers inference with 503 backbone_unavailable.
      if (inference.requireCuda) {
        await this.pool.close();
        throw error;
      }
      this.loadError = (error as Error).message;
      this.logger.error({ err: error, backbone: this.backboneName, backbonesDir }, 'backbone failed to load');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.wakeWaiters();
    await pool?.close();
  }

  engineHealth(): EngineHealth {
    const backbone = this.backbone;
    return {
      ready: this.pool !== null && backbone !== null,
      device: backbone?.device ?? 'cpu',
      deviceDetail: this.loadError ?? backbone?.deviceReason,
      model: backbone?.name ?? this.backboneName,
      workers: this.pool?.stats().workers ?? 0,
    };
  }

  stats(): PoolStats | null {
    return this.pool?.stats() ?? null;
  }

  /** Token grid the current backbone produces (for checks against stored memories). */
  backboneInfo(): PoolBackboneInfo {
    if (!this.backbone) throw this.unavailable();
    return this.backbone;
  }

  async run<K extends TaskName>(task: K, input: TaskInput<K>, options: PoolRunOptions): Promise<TaskOutput<K>> {
    const pool = this.pool;
    if (!pool || !this.backbone) throw this.unavailable();
    const background = options.priority === 'background';
    for (;;) {
      if (background) await this.waitForRoom(pool, options.signal);
      const started = performance.now();
      try {
        const output = await pool.run(task, input, { signal: options.signal, onProgress: options.onProgress, transferImage: options.transferImage });
        this.observe(task, output, started);
        return output;
      } catch (error) {
        // An interactive request can take the freed slot between the wait and the run: a background run waits again.
        if (background && error instanceof PoolSaturatedError && !options.signal?.aborted) continue;
        if (task === 'fit') this.metrics.observeFit((performance.now() - started) / 1000, error instanceof AbortedError ? 'aborted' : 'error');
        throw this.translate(error, task);
      } finally {
        this.wakeWaiters();
      }
    }
  }

  /** Stage timings of every inference and the duration of every fit, as the workers measured them. */
  private observe(task: TaskName, output: unknown, started: number): void {
    if (task === 'infer') this.metrics.observeStages((output as TaskOutput<'infer'>).timings);
    else if (task === 'fit') this.metrics.observeFit((performance.now() - started) / 1000, 'ok');
  }

  private unavailable(): ApiError {
    return new ApiError('backbone_unavailable', `Backbone '${this.backboneName}' is not loaded${this.loadError ? `: ${this.loadError}` : ''}`, {
      backbone: this.backboneName,
    });
  }

  /** Resolves once the pool has room (or the signal fired); re-checked after each settle, no polling. */
  private async waitForRoom(pool: InferencePool, signal?: AbortSignal): Promise<void> {
    while (pool.isSaturated() && !signal?.aborted && this.pool === pool) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.roomWaiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.roomWaiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private wakeWaiters(): void {
    for (const wake of [...this.roomWaiters]) wake();
  }

  private translate(error: unknown, task: string): unknown {
    if (error instanceof PoolSaturatedError) {
      return new ApiError('overloaded', 'Inference queue is full; retry later', error.details, { 'Retry-After': '1' });
    }
    if (isCodedError(error)) return error;
    // Typed engine failures whose code is not an HTTP contract code (artifact_not_found, invalid_argument…) are
    // the caller's to map; they are not worker crashes.
    if (error instanceof EngineError) return error;
    if (error instanceof Error && /^backbone_|^cuda_required$/.test(String((error as { code?: unknown }).code))) {
      return new ApiError('backbone_unavailable', error.message);
    }
    // Anything else is the pool's own failure: the worker died (Piscina replaces it) or the task could not be sent.
    this.logger.error({ err: error, task }, 'inference worker failed');
    return new ApiError('worker_crashed', undefined, { task });
  }
}
