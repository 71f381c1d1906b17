import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsModule } from '../metrics/metrics.module';
import { JOBS_HEALTH } from '../common/health/health-sources';
import { JobRepository } from './job.repository';
import { JobRetention } from './job-retention';
import { JOB_LIFECYCLE, JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JobTransitions } from './job-transitions';
import { JOBS_API } from './jobs-api';
import { JobsBoot } from './jobs-boot';
import { JOBS_CLOCK, systemClock } from './jobs.clock';
import { JobsController } from './jobs.controller';
import { SqliteJobsHealth } from './jobs-health';
import { JobsService } from './jobs.service';
import { RedisJobRetention } from './redis/redis-job-retention';
import { RedisJobTransitions } from './redis/redis-job-transitions';
import { RedisJobWorker } from './redis/redis-job-worker';
import { RedisJobsConnection } from './redis/redis-jobs-connection';
import { RedisJobsHealth } from './redis/redis-jobs-health';
import { RedisJobsService } from './redis/redis-jobs.service';

/**
 * /jobs and the job backend: the embedded SQLite one by default, Redis + BullMQ when BDI_REDIS_URL is set. Each
 * backend is the same five roles: the HTTP façade (JOBS_API), the runner's transitions (JOB_LIFECYCLE, injected
 * into JobRunner), boot and shutdown, retention (the only deleter) and the health source (JOBS_HEALTH). Both run
 * tasks through the same JobTaskRegistry and JobRunner.
 *
 * Not global: importers (HealthModule) receive this very module object, because Nest 11 tells dynamic modules apart
 * by reference and a second forRoot() would build a second backend.
 */
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const backend: Provider[] = config.jobs.redisUrl
      ? [
          RedisJobsConnection,
          RedisJobRetention,
          RedisJobTransitions,
          RedisJobWorker,
          RedisJobsService,
          { provide: JOB_LIFECYCLE, useExisting: RedisJobTransitions },
          { provide: JOBS_API, useExisting: RedisJobsService },
          { provide: JOBS_HEALTH, useClass: RedisJobsHealth },
        ]
      : [
          { provide: JobRepository, useFactory: (c: AppConfig) => new JobRepository(c.jobs.dbPath), inject: [APP_CONFIG] },
          JobRetention,
          JobTransitions,
          JobsBoot,
          JobsService,
          { provide: JOB_LIFECYCLE, useExisting: JobTransitions },
          { provide: JOBS_API, useExisting: JobsService },
          { provide: JOBS_HEALTH, useClass: SqliteJobsHealth },
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
