// Retention of the SQLite job store: a finished job lives JOBS_TTL_SECONDS after it finished, and at most
// JOBS_MAX_ITEMS jobs are kept by evicting the oldest finished ones (never pending or running ones). Rows are
// deleted only here — on the sweep timer and after writes; reads hide expired rows without deleting them.
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import type { JobRepository } from './job.repository';
import type { JobSummary } from './job.types';
import type { JobsClock } from './jobs.clock';

export class JobRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repository: JobRepository,
    private readonly config: AppConfig,
    private readonly clock: JobsClock,
    private readonly logger: Logger,
  ) {}

  /** Sweeps now, then every JOBS_SWEEP_INTERVAL_SECONDS. */
  start(): void {
    this.sweep();
    this.timer = setInterval(() => this.sweepSafely(), this.config.jobs.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** TTL first, then the item limit. */
  sweep(): void {
    this.sweepExpired();
    this.repository.evictOverflow(this.config.jobs.maxItems);
  }

  /** Deletes the jobs past their TTL (before a write that must not see them, e.g. an idempotency key lookup). */
  sweepExpired(): void {
    this.repository.deleteFinishedBefore(this.cutoff());
  }

  /** Whether a job is past its TTL: reads treat it as gone before the sweep deletes it. */
  isExpired(job: Pick<JobSummary, 'finishedAt'>): boolean {
    return job.finishedAt !== null && job.finishedAt <= this.cutoff();
  }

  private cutoff(): number {
    return this.clock.now() - this.config.jobs.ttlSeconds * 1000;
  }

  private sweepSafely(): void {
    try {
      this.sweep();
    } catch (error) {
      this.logger.error({ err: error }, 'job retention sweep failed');
    }
  }
}
