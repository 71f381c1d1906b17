// The part of the worker pool the inspection service uses. InferencePoolService provides it; unit tests can
// pass a typed fake.
import type { FitInput, FitOutput, InferInput, InferOutput } from '../engine/pool-protocol';
import type { TaskProgress } from '../engine/task-progress';

export interface EngineRunOptions {
  signal?: AbortSignal;
  /** Progress a long task (fit) publishes from its worker. */
  onProgress?: (progress: TaskProgress) => void;
}

/** Where a long operation stands; jobs pass their reporter, synchronous routes none. */
export type ProgressReporter = (progress: TaskProgress) => void;

export interface InspectionEngine {
  /** Worker threads: bounds the parallelism of dataset inference. */
  readonly size: number;
  fit(input: FitInput, options?: EngineRunOptions): Promise<FitOutput>;
  infer(input: InferInput, options?: EngineRunOptions): Promise<InferOutput>;
}

export const INSPECTION_ENGINE = Symbol('INSPECTION_ENGINE');
