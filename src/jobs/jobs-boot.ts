// Boot and shutdown of the SQLite job backend. At boot, once every module registered its @OnJob handlers: check
// them, fail the jobs the previous process left running (interrupted), re-queue its pending ones, start the
// retention timer. At shutdown: stop the timer and the runner (running work is aborted and left for the next boot's
// recovery), then close the database, in that order.
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { INTERRUPTED_MESSAGE } from './jobs-api';
import { JobRepository } from './job.repository';
import { JobRetention } from './job-retention';
import { JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JOBS_CLOCK, JobsClock } from './jobs.clock';

@Injectable()
export class JobsBoot implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly repository: JobRepository,
    private readonly runner: JobRunner,
    private readonly registry: JobTaskRegistry,
    private readonly retention: JobRetention,
    @Inject(JOBS_CLOCK) private readonly clock: JobsClock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.registry.assertComplete();
    const interrupted = this.repository.failRunning(this.clock.now(), INTERRUPTED_MESSAGE, 'interrupted');
    const pending = this.repository.pendingIds();
    if (interrupted > 0 || pending.length > 0) {
      this.logger.info({ interrupted, resumed: pending.length }, 'jobs recovered from the previous run');
    }
    for (const id of pending) this.runner.enqueue(id);
    this.retention.start();
  }

  onModuleDestroy(): void {
    this.retention.stop();
    this.runner.stop();
    this.repository.close();
  }
}
