// Retention of the SQLite job store: a finished job lives JOBS_TTL_SECONDS after it finished, and at most
// JOBS_MAX_ITEMS jobs are kept by evicting the oldest finished ones (never pending or running ones). Rows are
// deleted only here: on the sweep timer, and after writes (the item limit must hold once a write added a job).
// Reads hide expired rows (isExpired) and never delete.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobRepository } from './job.repository';
import type { JobSummary } from './job.types';
import { JOBS_CLOCK, JobsClock } from './jobs.clock';

@Injectable()
export class JobRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repository: JobRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
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

  /**
   * Deletes the jobs past their TTL. Before a create: an expired job must give its idempotency key back (the key
   * column is UNIQUE, so hiding the row is not enough there).
   */
  sweepExpired(): void {
    this.repository.deleteFinishedBefore(ttlCutoff(this.clock, this.config));
  }

  /** Whether a job is past its TTL: reads treat it as gone before the sweep deletes it. */
  isExpired(job: Pick<JobSummary, 'finishedAt'>): boolean {
    return isPastTtl(job, ttlCutoff(this.clock, this.config));
  }

  private sweepSafely(): void {
    try {
      this.sweep();
    } catch (error) {
      this.logger.error({ err: error }, 'job retention sweep failed');
    }
  }
}

/** Jobs that finished at or before this instant (epoch ms) are past their TTL. */
export function ttlCutoff(clock: JobsClock, config: AppConfig): number {
  return clock.now() - config.jobs.ttlSeconds * 1000;
}

export function isPastTtl(job: Pick<JobSummary, 'finishedAt'>, cutoff: number): boolean {
  return job.finishedAt !== null && job.finishedAt <= cutoff;
}
