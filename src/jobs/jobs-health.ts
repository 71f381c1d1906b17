// What /health and /metrics read about the SQLite job backend: stored jobs by status, idempotency keys, the
// in-process FIFO's depth. The database is in-process, so its connection is always up.
import { Inject, Injectable } from '@nestjs/common';
import { JobsHealth, JobsHealthSource } from '../common/health/health-sources';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { JobRepository } from './job.repository';
import { JobRunner } from './job-runner';
import { JOB_STATUSES } from './job.types';

@Injectable()
export class SqliteJobsHealth implements JobsHealthSource {
  constructor(
    private readonly repository: JobRepository,
    runner: JobRunner,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    metrics.gauge('bdi_jobs', 'Stored jobs by status', 'status', () => this.repository.countsByStatus());
    metrics.setQueueDepthSource(() => runner.stats().queued);
  }

  jobsConnected(): boolean {
    return true;
  }

  jobsHealth(): JobsHealth {
    const counts = this.repository.countsByStatus();
    const countsByStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, counts[status] ?? 0]));
    return {
      backend: 'sqlite',
      connection: 'up',
      node: this.config.jobs.nodeId,
      jobsInMemory: Object.values(countsByStatus).reduce((sum, n) => sum + n, 0),
      idempotencyKeysInMemory: this.repository.idempotencyKeyCount(),
      countsByStatus,
    };
  }
}
