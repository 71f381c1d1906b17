// The compiled table of job tasks: discovered from @OnJob methods at module init (see job-task.ts), or registered
// directly (unit tests). The runners (in-process FIFO, BullMQ worker) only see JobTaskHandler.
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JOB_TASK_NAMES, JobRunContext, JobTaskSpec, ON_JOB_METADATA, timeoutSeconds } from './job-task';
import { JsonObject } from './job.types';

export type { JobRunContext } from './job-task';

export interface JobTaskHandler<P = unknown> {
  name: string;
  /** Deadline of one run, measured from the pending → running transition. */
  timeoutSeconds(config: AppConfig): number;
  /** The create request's fields → the stored payload (validated once, at creation). */
  validate(fields: JsonObject, location?: string[]): P;
  /** Does the work. Must stop soon after `signal` fires; a result arriving after that is discarded. */
  run(payload: P, context: JobRunContext): Promise<JsonObject>;
}

@Injectable()
export class JobTaskRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, JobTaskHandler>();
  private readonly required = new Set<string>(JOB_TASK_NAMES);

  constructor(
    @Optional() private readonly discovery?: DiscoveryService,
    @Optional() private readonly scanner?: MetadataScanner,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  /** Registers every @OnJob method of every provider. */
  onModuleInit(): void {
    if (!this.discovery || !this.scanner || !this.config) return;
    const config = this.config;
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const key of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[key] as (payload: unknown, context: JobRunContext) => Promise<object>;
        const spec = Reflect.getMetadata(ON_JOB_METADATA, method) as JobTaskSpec<never> | undefined;
        if (!spec) continue;
        this.register({
          name: spec.name,
          timeoutSeconds: (c) => timeoutSeconds(spec.timeout, c),
          validate: (fields, location = ['body']) => spec.parse(fields, location, config),
          run: async (payload, context) => (await method.call(instance, payload, context)) as JsonObject,
        });
      }
    }
  }

  register<P>(handler: JobTaskHandler<P>): void {
    if (this.handlers.has(handler.name)) throw new Error(`job task "${handler.name}" is registered twice`);
    this.handlers.set(handler.name, handler as JobTaskHandler);
  }

  /** Declares more tasks that must have a handler by the time the application boots (tests). */
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
