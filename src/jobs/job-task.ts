// How a job task is declared: a task name → its payload type → one handler method, marked with @OnJob. The
// payload map is an interface each task's module augments (`declare module '../jobs/job-task'`), so the jobs layer
// names no feature type and every handler is typed end to end. JobTaskRegistry discovers the methods at boot; the
// in-process runner and the BullMQ worker both run them through the same registry.
import type { AppConfig } from '../config/app-config';
import type { JobProgress, JsonObject } from './job.types';

/** Every task the service promises; the boot fails when one has no @OnJob handler. */
export const JOB_TASK_NAMES = ['detect-objects', 'infer', 'fit-ok', 'infer-dataset', 'calibrate-dataset'] as const;
export type JobTaskName = (typeof JOB_TASK_NAMES)[number];

/** task name → stored payload; augmented next to each handler. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface JobPayloads {}

export type JobName = keyof JobPayloads & string;

export interface JobRunContext {
  /** Fires on cancel, on timeout and on shutdown; `signal.reason` is a JobAbortReason. */
  signal: AbortSignal;
  /** X-Request-Id of the request that created the job (or retried it). */
  requestId: string;
  jobId: string;
  /** Publishes where the work stands (done/total within a phase); shown by GET /jobs/{id} and the monitor. */
  reportProgress(progress: JobProgress): void;
}

/** `run`: JOBS_RUN_TIMEOUT_SECONDS; `long`: JOBS_LONG_RUN_TIMEOUT_SECONDS (fits and dataset passes). */
export type JobTimeout = 'run' | 'long';

export interface JobTaskSpec<N extends JobName> {
  name: N;
  timeout: JobTimeout;
  /**
   * The create request's task fields → the stored payload: validated once, defaults applied, so the idempotency
   * fingerprint sees normalised values. Validate with validateDto (common/validation), which names failing fields under `location`.
   */
  parse(fields: JsonObject, location: string[], config: AppConfig): JobPayloads[N];
}

export type JobHandlerMethod<N extends JobName> = (payload: JobPayloads[N], context: JobRunContext) => Promise<object>;

export const ON_JOB_METADATA = 'bdi:on-job';

/** Marks a provider method as the handler of one job task. */
export function OnJob<N extends JobName>(spec: JobTaskSpec<N>) {
  return <M extends JobHandlerMethod<N>>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    Reflect.defineMetadata(ON_JOB_METADATA, spec, descriptor.value as object);
  };
}

export function timeoutSeconds(timeout: JobTimeout, config: AppConfig): number {
  return timeout === 'long' ? config.jobs.longRunTimeoutSeconds : config.jobs.runTimeoutSeconds;
}
