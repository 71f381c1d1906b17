import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { AppConfig } from '../config/app-config';
import { JobAbortReason } from './job-runner';
import { JobRepository } from './job.repository';
import { JobTaskRegistry } from './job-task-registry';
import { ManualTask, manualTaskRegistry, tick } from './testing/manual-task';
import { SqliteJobBackend, sqliteJobBackend } from './testing/sqlite-job-backend';

describe('JobsBoot', () => {
  let dir: string;
  let dbPath: string;
  let now: number;
  let task: ManualTask;
  let backend: SqliteJobBackend | null;
  const logger = pino({ level: 'silent' });
  const config = { jobs: { ttlSeconds: 10, maxItems: 100, concurrency: 1, sweepIntervalSeconds: 0.05, nodeId: 'node-a' } } as AppConfig;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-jobs-boot-'));
    dbPath = path.join(dir, 'jobs.sqlite');
    now = Date.UTC(2030, 0, 1);
    task = new ManualTask();
    backend = null;
  });
  afterEach(() => {
    backend?.boot.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The database a previous process left: rows in the given states. */
  function previousRun(rows: Array<{ id: string; status: 'pending' | 'running' | 'done'; finishedAt?: number }>): void {
    const repository = new JobRepository(dbPath);
    for (const row of rows) {
      repository.createOrFind({ id: row.id, task: 'manual', payload: { n: 1 }, fingerprint: 'f', idempotencyKey: null, requestId: 'r', retryOf: null, createdAt: now });
      if (row.status !== 'pending') repository.markRunning(row.id, now, 'node-old');
      if (row.status === 'done') repository.complete(row.id, ['running'], { status: 'done', finishedAt: row.finishedAt ?? now, result: {} });
    }
    repository.close();
  }
  const start = (registry: JobTaskRegistry = manualTaskRegistry(task)): SqliteJobBackend => {
    backend = sqliteJobBackend(dbPath, registry, config, { now: () => now }, logger);
    backend.boot.onApplicationBootstrap();
    return backend;
  };

  it('fails the jobs a previous process left running as interrupted and runs its pending ones in creation order', async () => {
    previousRun([{ id: 'a', status: 'running' }, { id: 'b', status: 'pending' }, { id: 'c', status: 'pending' }]);
    const { repository } = start();
    expect(repository.findSummary('a')).toMatchObject({ status: 'failed', errorCode: 'interrupted', finishedAt: now });
    await tick();
    expect(repository.findSummary('b')?.status).toBe('running');
    expect(repository.findSummary('c')?.status).toBe('pending');
    task.runs[0].resolve({});
    await tick();
    await tick();
    expect(repository.findSummary('c')?.status).toBe('running');
  });

  it('refuses to boot when a promised task has no handler, before touching any job', () => {
    previousRun([{ id: 'a', status: 'running' }]);
    const bare = new JobTaskRegistry();
    expect(() => start(bare)).toThrow(/job tasks without a handler: .*detect-objects/);
    expect(backend?.repository.findSummary('a')?.status).toBe('running');
  });

  it('sweeps expired jobs at boot and then on its own timer', async () => {
    previousRun([{ id: 'old', status: 'done', finishedAt: now - 10_000 }, { id: 'recent', status: 'done', finishedAt: now - 5_000 }]);
    const { repository } = start();
    expect(repository.findSummary('old')).toBeNull();
    expect(repository.findSummary('recent')).not.toBeNull();
    now += 5_000;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(repository.findSummary('recent')).toBeNull();
  });

  it('at shutdown aborts the running work, leaves its row running for the next boot and closes the database', async () => {
    previousRun([{ id: 'a', status: 'pending' }]);
    const { boot, repository } = start();
    await tick();
    expect(task.runs).toHaveLength(1);
    boot.onModuleDestroy();
    backend = null;
    expect((task.runs[0].signal.reason as JobAbortReason).kind).toBe('shutdown');
    expect(() => repository.findSummary('a')).toThrow(/not open/);
    const reopened = new JobRepository(dbPath);
    expect(reopened.findSummary('a')?.status).toBe('running');
    reopened.close();
  });
});
