import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsModule } from '../metrics/metrics.module';
import { JOBS_HEALTH } from '../common/health/health-sources';
import { JobRepository } from './job.repository';
import { JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JOBS_API } from './jobs-api';
import { JOBS_CLOCK, systemClock } from './jobs.clock';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { RedisJobsService } from './redis/redis-jobs.service';

/**
 * /jobs and the job backend: the embedded SQLite runner (JobsService) by default, Redis + BullMQ
 * (RedisJobsService) when BDI_REDIS_URL is set. Both run tasks through the same JobTaskRegistry and JobRunner.
 */
// Global: /health reads JOBS_HEALTH.
@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const backend: Provider[] = config.jobs.redisUrl
      ? [RedisJobsService, { provide: JOBS_API, useExisting: RedisJobsService }, { provide: JOBS_HEALTH, useExisting: RedisJobsService }]
      : [
          { provide: JobRepository, useFactory: (c: AppConfig) => new JobRepository(c.jobs.dbPath), inject: [APP_CONFIG] },
          JobsService,
          { provide: JOBS_API, useExisting: JobsService },
          { provide: JOBS_HEALTH, useExisting: JobsService },
        ];
    return {
      module: JobsModule,
      imports: [DiscoveryModule, MetricsModule],
      controllers: [JobsController],
      providers: [{ provide: JOBS_CLOCK, useValue: systemClock }, JobRunner, JobTaskRegistry, ...backend],
      exports: [JobTaskRegistry, JOBS_API, JOBS_HEALTH],
    };
  }
}
