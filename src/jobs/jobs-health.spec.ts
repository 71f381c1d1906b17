import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { AppConfig } from '../config/app-config';
import { ManualTask, manualTaskRegistry, tick } from './testing/manual-task';
import { SqliteJobBackend, sqliteJobBackend } from './testing/sqlite-job-backend';

describe('SqliteJobsHealth', () => {
  let dir: string;
  let task: ManualTask;
  let backend: SqliteJobBackend;
  const config = { jobs: { ttlSeconds: 10, maxItems: 100, concurrency: 1, sweepIntervalSeconds: 1000, nodeId: 'node-a' } } as AppConfig;
  const create = (n: number, idempotencyKey: string | null = null) =>
    backend.service.create({ task: 'manual', fields: { n }, fieldsLocation: ['body'], idempotencyKey, requestId: `req-${n}` }).job;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-jobs-health-'));
    task = new ManualTask();
    backend = sqliteJobBackend(path.join(dir, 'jobs.sqlite'), manualTaskRegistry(task), config, { now: () => Date.UTC(2030, 0, 1) }, pino({ level: 'silent' }));
    backend.boot.onApplicationBootstrap();
  });
  afterEach(() => {
    backend.boot.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports every status (zeros included), the stored idempotency keys and this node', async () => {
    create(1, 'k1');
    create(2, 'k2');
    const third = create(3);
    await tick();
    backend.service.cancel(third.id);
    expect(backend.health.jobsConnected()).toBe(true);
    expect(backend.health.jobsHealth()).toEqual({
      backend: 'sqlite',
      connection: 'up',
      node: 'node-a',
      jobsInMemory: 3,
      idempotencyKeysInMemory: 2,
      countsByStatus: { pending: 1, running: 1, done: 0, failed: 0, canceled: 1, timeout: 0 },
    });
  });

  it('gives /metrics the stored jobs by status and the depth of the in-process queue', async () => {
    [1, 2, 3].forEach((n) => create(n));
    await tick();
    const text = await backend.metrics.registry.metrics();
    expect(text).toMatch(/bdi_jobs\{status="pending"\} 2\b/);
    expect(text).toMatch(/bdi_jobs\{status="running"\} 1\b/);
    expect(text).toMatch(/bdi_jobs_queue_depth 2\b/);
  });
});
