// In-process FIFO queue: at most JOBS_CONCURRENCY jobs run at once. Each run gets an AbortController and a deadline
// timer; cancel, timeout and shutdown abort the signal. The runner never writes job rows itself: it asks the
// backend's JobLifecycle (JobTransitions or RedisJobTransitions, injected) to make each transition, and the
// lifecycle's conditional updates decide who wins.
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { runWithRequestContext } from '../common/request-context/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { JobTaskHandler } from './job-task-registry';
import { JobProgress, JsonObject } from './job.types';

/** A job the lifecycle moved to running, ready to execute. */
export interface ClaimedJob {
  id: string;
  requestId: string;
  handler: JobTaskHandler;
  payload: unknown;
  timeoutMs: number;
}

/** The job store's side of a run: synchronous for SQLite, asynchronous for Redis. */
export interface JobLifecycle {
  /** pending → running; null when the job is no longer pending (canceled, evicted) or cannot run. */
  claim(jobId: string): ClaimedJob | null | Promise<ClaimedJob | null>;
  succeed(jobId: string, result: JsonObject): void | Promise<void>;
  progress(jobId: string, progress: JobProgress): void;
  fail(jobId: string, error: unknown): void | Promise<void>;
  /** running → timeout, at the deadline. */
  expire(jobId: string): void | Promise<void>;
}

/** The backend's JobLifecycle, as the runner receives it. */
export const JOB_LIFECYCLE = Symbol('JOB_LIFECYCLE');

export type JobAbortKind = 'canceled' | 'timeout' | 'shutdown';

/** `signal.reason` of an aborted run. */
export class JobAbortReason extends Error {
  override name = 'AbortError';
  constructor(readonly kind: JobAbortKind) {
    super(`job ${kind === 'shutdown' ? 'stopped by a service shutdown' : kind}`);
  }
}

// A handler that ignores its signal keeps its slot at most this long after the abort, so one stuck task cannot
// stall the queue; its late result is discarded either way.
const ABORT_GRACE_MS = 1000;

interface RunningJob {
  controller: AbortController;
  deadline: NodeJS.Timeout;
}

@Injectable()
export class JobRunner {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, RunningJob>();
  private busySlots = 0;
  private pumpScheduled = false;
  private stopped = false;

  constructor(
    @Inject(JOB_LIFECYCLE) private readonly lifecycle: JobLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Appends a job to the FIFO queue; it starts on a later tick, after the creating request has been answered. */
  enqueue(jobId: string): void {
    if (this.stopped || this.queued.has(jobId) || this.running.has(jobId)) return;
    this.queue.push(jobId);
    this.queued.add(jobId);
    this.schedulePump();
  }

  /** Stops the work of a job that was canceled (no-op when it is not running; a queued one is skipped at claim). */
  abort(jobId: string, kind: JobAbortKind): void {
    if (this.queued.delete(jobId)) {
      const index = this.queue.indexOf(jobId);
      if (index >= 0) this.queue.splice(index, 1);
    }
    const run = this.running.get(jobId);
    if (run && !run.controller.signal.aborted) run.controller.abort(new JobAbortReason(kind));
  }

  stats(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running.size };
  }

  /** Shutdown: nothing new starts, running work is aborted and its outcome not written (boot recovery handles it). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.queued.clear();
    for (const run of this.running.values()) {
      clearTimeout(run.deadline);
      if (!run.controller.signal.aborted) run.controller.abort(new JobAbortReason('shutdown'));
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.stopped && this.busySlots < this.config.jobs.concurrency && this.queue.length > 0) {
      const jobId = this.queue.shift()!;
      this.queued.delete(jobId);
      this.busySlots += 1;
      void this.runNow(jobId).finally(() => {
        this.busySlots -= 1;
        this.schedulePump();
      });
    }
  }

  /**
   * Claims and runs one job now, outside the FIFO queue; resolves when its outcome is written (or abandoned). The
   * BullMQ worker calls this for each job it receives; the FIFO pump calls it for each queued id.
   */
  async runNow(jobId: string): Promise<void> {
    if (this.stopped || this.running.has(jobId)) return;
    let claimed: ClaimedJob | null;
    try {
      claimed = await this.lifecycle.claim(jobId);
    } catch (error) {
      this.logger.error({ err: error, jobId }, 'job claim failed');
      return;
    }
    if (claimed && !this.stopped) await this.execute(claimed);
  }

  private async execute(job: ClaimedJob): Promise<void> {
    const lifecycle = this.lifecycle;
    const controller = new AbortController();
    const deadline = setTimeout(() => {
      if (this.stopped) return;
      const failed = (error: unknown) => this.logger.error({ err: error, jobId: job.id }, 'job timeout bookkeeping failed');
      try {
        // Written before the abort when the store is synchronous (SQLite), so the abort never races the timeout.
        void lifecycle.expire(job.id)?.catch(failed);
      } catch (error) {
        failed(error);
      }
      controller.abort(new JobAbortReason('timeout'));
    }, job.timeoutMs);
    this.running.set(job.id, { controller, deadline });
    const node = this.config.jobs.nodeId;
    this.metrics?.countNodeJob(node, 'started');
    const context = { requestId: job.requestId, path: `job:${job.id}`, legacyErrorKeys: false, startedAt: Date.now() };
    const work = runWithRequestContext(context, () =>
      Promise.resolve().then(() => job.handler.run(job.payload, {
        signal: controller.signal,
        requestId: job.requestId,
        jobId: job.id,
        reportProgress: (progress) => {
          if (!controller.signal.aborted) lifecycle.progress(job.id, progress);
        },
      })),
    );
    type Outcome = { ok: true; value: JsonObject } | { ok: false; error: unknown } | { ok: 'abandoned' };
    const settled: Promise<Outcome> = work.then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error }),
    );
    try {
      const outcome = await Promise.race([settled, abandonAfterAbort(controller.signal)]);
      // Once aborted, the job's state was already decided (canceled / timeout / left for boot recovery).
      if (controller.signal.aborted || this.stopped) {
        const reason = controller.signal.reason as JobAbortReason | undefined;
        if (reason?.kind === 'canceled' || reason?.kind === 'timeout') this.metrics?.countNodeJob(node, reason.kind);
        if (outcome.ok === 'abandoned') this.logger.warn({ jobId: job.id }, 'job handler ignored its abort signal');
        return;
      }
      if (outcome.ok === true) await lifecycle.succeed(job.id, outcome.value);
      else if (outcome.ok === false) await lifecycle.fail(job.id, outcome.error);
      this.metrics?.countNodeJob(node, outcome.ok === true ? 'done' : 'failed');
    } catch (error) {
      // A lifecycle write failing (e.g. database closed) must not take the queue down.
      this.logger.error({ err: error, jobId: job.id }, 'job bookkeeping failed');
    } finally {
      clearTimeout(deadline);
      this.running.delete(job.id);
    }
  }
}

function abandonAfterAbort(signal: AbortSignal): Promise<{ ok: 'abandoned' }> {
  return new Promise((resolve) => {
    const arm = () => setTimeout(() => resolve({ ok: 'abandoned' }), ABORT_GRACE_MS).unref();
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  });
}
