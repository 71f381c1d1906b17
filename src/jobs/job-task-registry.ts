// Task handlers of POST /jobs, registered by name from the modules that own the work (Detection, Inference...),
// typically in their onModuleInit. JobsService checks at boot that every supported task has a handler.
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobProgress, JsonObject } from './job.types';

/** Tasks the service promises; other modules may `require()` more (e.g. the inspection tasks) and must register them. */
export const SUPPORTED_JOB_TASKS: readonly string[] = ['detect-objects'];

export interface JobRunContext {
  /** Fires on cancel, on timeout and on shutdown; `signal.reason` is a JobAbortReason. */
  signal: AbortSignal;
  /** X-Request-Id of the request that created the job (or retried it). */
  requestId: string;
  jobId: string;
  /** Publishes where the work stands (done/total within a phase); shown by GET /jobs/{id} and the monitor. */
  reportProgress(progress: JobProgress): void;
}

export interface JobTaskHandler<P = unknown> {
  name: string;
  /** Deadline of one run, measured from the pending → running transition. */
  timeoutSeconds(config: AppConfig): number;
  /**
   * Checks and normalises the task fields of a create request (defaults applied). Throws ApiError('validation_error')
   * naming fields under `location` (['body'] or ['body', 'payload']). The result is stored as the job's payload.
   */
  validate(fields: JsonObject, location?: string[]): P;
  /** Does the work. Must stop soon after `signal` fires; a result arriving after that is discarded. */
  run(payload: P, context: JobRunContext): Promise<JsonObject>;
}

@Injectable()
export class JobTaskRegistry {
  private readonly handlers = new Map<string, JobTaskHandler>();
  private readonly required = new Set<string>(SUPPORTED_JOB_TASKS);

  register<P>(handler: JobTaskHandler<P>): void {
    if (this.handlers.has(handler.name)) throw new Error(`job task "${handler.name}" is registered twice`);
    this.handlers.set(handler.name, handler as JobTaskHandler);
  }

  /** Declares tasks that must have a handler by the time the application boots. */
  require(...names: string[]): void {
    for (const name of names) this.required.add(name);
  }

  get(name: string): JobTaskHandler | undefined {
    return this.handlers.get(name);
  }

  /** Supported = promised ∪ registered. */
  names(): string[] {
    return [...new Set([...this.required, ...this.handlers.keys()])].sort();
  }

  /** Fails the boot when a promised task has no handler (a job of that task could never run). */
  assertComplete(): void {
    const missing = [...this.required].filter((name) => !this.handlers.has(name));
    if (missing.length > 0) throw new Error(`job tasks without a handler: ${missing.join(', ')}`);
  }
}
