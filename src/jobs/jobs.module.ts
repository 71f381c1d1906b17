import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JOBS_HEALTH } from '../health/health-sources';
import { JobRepository } from './job.repository';
import { JobRunner } from './job-runner';
import { JobTaskRegistry } from './job-task-registry';
import { JOBS_CLOCK, systemClock } from './jobs.clock';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

// Global: the task registry is needed by every module that contributes a job task, and /health reads JOBS_HEALTH.
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [JobsController],
  providers: [
    { provide: JobRepository, useFactory: (config: AppConfig) => new JobRepository(config.jobs.dbPath), inject: [APP_CONFIG] },
    { provide: JOBS_CLOCK, useValue: systemClock },
    JobRunner,
    JobTaskRegistry,
    JobsService,
    { provide: JOBS_HEALTH, useExisting: JobsService },
  ],
  exports: [JobTaskRegistry, JobsService, JOBS_HEALTH],
})
export class JobsModule {}
