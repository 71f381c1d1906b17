// The part of the worker pool the inspection services use. InferencePoolService provides it; unit specs pass a
// typed fake (testing/fake-inspection-engine.ts).
import type { MemoryArtifactRef } from '../engine/memory-cache';
import type { FitInput, FitOutput, InferInput, InferOutput } from '../engine/pool-protocol';
import type { TaskProgress } from '../engine/task-progress';
import type { PoolPriority } from '../pool/pool.service';

/** How one operation uses the pool: its priority and, for a job, the signal that aborts it. */
export interface EngineRunOptions {
  signal?: AbortSignal;
  priority: PoolPriority;
  /** Where a long operation stands (fit: published by its worker; dataset passes: samples scored). Jobs only. */
  onProgress?: ProgressReporter;
}

export type ProgressReporter = (progress: TaskProgress) => void;

/** A synchronous HTTP request: 503 when the pool is full. */
export const INTERACTIVE: EngineRunOptions = { priority: 'interactive' };

export interface InspectionEngine {
  /** Worker threads: bounds the parallelism of dataset inference. */
  readonly size: number;
  fit(input: FitInput, options: EngineRunOptions): Promise<FitOutput>;
  infer(input: InferInput, options: EngineRunOptions): Promise<InferOutput>;
  /**
   * Reads a memory into the workers' caches (one background task per worker; a busy pool may give two to the same
   * worker): the first inference after a fit then finds it loaded. Resolves to how many workers read it.
   */
  preload(memory: MemoryArtifactRef): Promise<number>;
}

export const INSPECTION_ENGINE = Symbol('INSPECTION_ENGINE');
