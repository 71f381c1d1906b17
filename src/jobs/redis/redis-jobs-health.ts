// What /health and /metrics read about the Redis job backend: the connection, stored jobs by status, idempotency
// keys, and the BullMQ queue's waiting count (shared by every node).
import { Inject, Injectable } from '@nestjs/common';
import { JobsHealth, JobsHealthSource } from '../../common/health/health-sources';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisJobsConnection } from './redis-jobs-connection';

@Injectable()
export class RedisJobsHealth implements JobsHealthSource {
  constructor(
    private readonly connection: RedisJobsConnection,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Per-node run counters are bdi_jobs_node_total, counted by the JobRunner.
    metrics.setQueueDepthSource(() => connection.waitingCount());
  }

  jobsConnected(): boolean {
    return this.connection.connected();
  }

  async jobsHealth(): Promise<JobsHealth> {
    const base = { backend: 'redis' as const, connection: this.jobsConnected() ? ('up' as const) : ('down' as const), node: this.config.jobs.nodeId };
    try {
      const countsByStatus = await this.connection.store.countsByStatus();
      return {
        ...base,
        jobsInMemory: Object.values(countsByStatus).reduce((sum, n) => sum + n, 0),
        idempotencyKeysInMemory: await this.connection.store.idempotencyKeyCount(),
        countsByStatus,
      };
    } catch {
      return { ...base, connection: 'down', jobsInMemory: 0, idempotencyKeysInMemory: 0, countsByStatus: {} };
    }
  }
}
