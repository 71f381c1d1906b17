// Retention of the Redis job store, as JobRetention for SQLite: the TTL after finishing and the item limit (finished
// jobs only), applied by one Lua script. Records are deleted only here: on the sweep timer, after writes (the item
// limit), and before a create (an expired job gives its idempotency key back). Reads hide expired records.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isPastTtl, ttlCutoff } from '../job-retention';
import type { JobSummary } from '../job.types';
import { JOBS_CLOCK, JobsClock } from '../jobs.clock';
import { RedisJobsConnection } from './redis-jobs-connection';

@Injectable()
export class RedisJobRetention {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connection: RedisJobsConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Sweeps every JOBS_SWEEP_INTERVAL_SECONDS. */
  start(): void {
    this.timer = setInterval(() => void this.sweepSafely(), this.config.jobs.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** TTL, then the item limit. */
  async sweep(): Promise<void> {
    await this.connection.store.sweep(ttlCutoff(this.clock, this.config), this.config.jobs.maxItems);
  }

  /** TTL only (before a create: the idempotency key of an expired job is free again). */
  async sweepExpired(): Promise<void> {
    await this.connection.store.sweep(ttlCutoff(this.clock, this.config), Number.MAX_SAFE_INTEGER);
  }

  /** Whether a job is past its TTL: reads treat it as gone before a sweep deletes it. */
  isExpired(job: Pick<JobSummary, 'finishedAt'>): boolean {
    return isPastTtl(job, ttlCutoff(this.clock, this.config));
  }

  private async sweepSafely(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      if (this.connection.connected()) this.logger.error({ err: error }, 'job retention sweep failed');
    }
  }
}
