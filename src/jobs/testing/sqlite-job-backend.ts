// The SQLite job backend wired by hand as JobsModule wires it, for unit specs: real database, real runner, a clock
// the spec moves. Nothing is faked but the clock and the task handlers the spec registers.
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { JobRepository } from '../job.repository';
import { JobRetention } from '../job-retention';
import { JobRunner } from '../job-runner';
import { JobTaskRegistry } from '../job-task-registry';
import { JobTransitions } from '../job-transitions';
import { JobsBoot } from '../jobs-boot';
import { SqliteJobsHealth } from '../jobs-health';
import type { JobsClock } from '../jobs.clock';
import { JobsService } from '../jobs.service';

export interface SqliteJobBackend {
  repository: JobRepository;
  retention: JobRetention;
  transitions: JobTransitions;
  runner: JobRunner;
  service: JobsService;
  boot: JobsBoot;
  health: SqliteJobsHealth;
  metrics: MetricsService;
}

export function sqliteJobBackend(dbPath: string, registry: JobTaskRegistry, config: AppConfig, clock: JobsClock, logger: Logger): SqliteJobBackend {
  const repository = new JobRepository(dbPath);
  const metrics = new MetricsService();
  const retention = new JobRetention(repository, config, clock, logger);
  const transitions = new JobTransitions(repository, registry, retention, metrics, config, clock, logger);
  const runner = new JobRunner(transitions, config, logger);
  return {
    repository,
    retention,
    transitions,
    runner,
    service: new JobsService(repository, runner, registry, transitions, retention, clock, logger),
    boot: new JobsBoot(repository, runner, registry, retention, clock, logger),
    health: new SqliteJobsHealth(repository, runner, metrics, config),
    metrics,
  };
}
