import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { AppConfig } from '../config/app-config';
import { decodeJobCursor, encodeJobCursor } from './job-cursor';
import { canonicalJson } from './job-fingerprint';
import { JobRepository } from './job.repository';
import { JobTaskRegistry } from './job-task-registry';
import { JobsService } from './jobs.service';
import { MetricsService } from '../metrics/metrics.service';
import { ManualTask, manualTaskRegistry, tick } from './testing/manual-task';
import { SqliteJobBackend, sqliteJobBackend } from './testing/sqlite-job-backend';

describe('JobsService', () => {
  let dir: string;
  let now: number;
  let repository: JobRepository;
  let task: ManualTask;
  let backend: SqliteJobBackend;
  let service: JobsService;
  let metrics: MetricsService;
  const config = { jobs: { ttlSeconds: 10, maxItems: 3, concurrency: 1, sweepIntervalSeconds: 1000 } } as AppConfig;

  function boot(): JobsService {
    task = new ManualTask();
    const registry = manualTaskRegistry(task);
    backend = sqliteJobBackend(path.join(dir, 'jobs.sqlite'), registry, config, { now: () => now }, pino({ level: 'silent' }));
    ({ repository, metrics } = backend);
    backend.boot.onApplicationBootstrap();
    return backend.service;
  }

  const create = (n: number, idempotencyKey: string | null = null) =>
    service.create({ task: 'manual', fields: { n }, fieldsLocation: ['body'], idempotencyKey, requestId: `req-${n}` }).job;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-jobs-unit-'));
    now = Date.UTC(2030, 0, 1);
    service = boot();
  });
  afterEach(() => {
    backend.boot.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to boot when a required task has no handler', () => {
    const registry = new JobTaskRegistry();
    expect(() => registry.assertComplete()).toThrow(/detect-objects/);
  });

  it('runs jobs FIFO, one at a time with concurrency 1', async () => {
    const a = create(1);
    const b = create(2);
    await tick();
    expect(service.get(a.id).status).toBe('running');
    expect(service.get(b.id).status).toBe('pending');
    task.runs[0].resolve({ ok: 1 });
    await tick();
    await tick();
    expect(service.get(a.id).status).toBe('done');
    expect(service.get(b.id).status).toBe('running');
    expect(service.result(a.id)).toEqual({ ok: 1, jobId: a.id });
  });

  it('never lets a late finish overwrite canceled, and aborts the work', async () => {
    const a = create(1);
    await tick();
    service.cancel(a.id);
    expect(task.runs[0].signal.aborted).toBe(true);
    task.runs[0].resolve({ late: true });
    await tick();
    expect(service.get(a.id)).toMatchObject({ status: 'canceled', error: 'job canceled by user' });
  });

  it('expires finished jobs TTL seconds after they finish, whatever the creation time', async () => {
    const a = create(1);
    await tick();
    now += 60_000; // a long run: creation time must not count
    task.runs[0].resolve({});
    await tick();
    now += 9_999;
    expect(service.get(a.id).status).toBe('done');
    now += 1;
    expect(() => service.get(a.id)).toThrow(expect.objectContaining({ code: 'job_not_found' }));
  });

  it('hides an expired job from reads without deleting it; the next write sweeps it', async () => {
    const a = create(1);
    await tick();
    task.runs[0].resolve({});
    await tick();
    now += 10_000;
    expect(() => service.get(a.id)).toThrow(expect.objectContaining({ code: 'job_not_found' }));
    expect(() => service.result(a.id)).toThrow(expect.objectContaining({ code: 'job_not_found' }));
    expect(service.list({}).items.map((j) => j.id)).not.toContain(a.id);
    expect(repository.findSummary(a.id)).not.toBeNull();
    create(2);
    expect(repository.findSummary(a.id)).toBeNull();
  });

  it('deletes nothing on reads: get, result, request, list, cancel and retry of an expired job answer 404 and keep its row', async () => {
    const a = create(1);
    await tick();
    task.runs[0].resolve({});
    await tick();
    now += 10_000;
    const gone = expect.objectContaining({ code: 'job_not_found' });
    expect(() => service.get(a.id)).toThrow(gone);
    expect(() => service.result(a.id)).toThrow(gone);
    expect(() => service.request(a.id)).toThrow(gone);
    expect(() => service.cancel(a.id)).toThrow(gone);
    expect(() => service.retry(a.id, 'req')).toThrow(gone);
    expect(service.list({}).items).toEqual([]);
    expect(repository.findSummary(a.id)?.status).toBe('done');
  });

  it('evicts the oldest finished jobs beyond maxItems, never pending or running ones', async () => {
    const ids = [1, 2, 3, 4, 5].map((n) => create(n).id);
    await tick();
    // 5 jobs > maxItems 3, but none is finished: all stay.
    expect(backend.health.jobsHealth().jobsInMemory).toBe(5);
    task.runs[0].resolve({});
    await tick();
    await tick();
    expect(backend.health.jobsHealth().jobsInMemory).toBe(4);
    expect(() => service.get(ids[0])).toThrow(expect.objectContaining({ code: 'job_not_found' }));
  });

  it('replays the same key and payload, rejects a different payload, frees the key with the job', async () => {
    const a = create(1, 'k');
    expect(service.create({ task: 'manual', fields: { n: 1 }, fieldsLocation: ['body'], idempotencyKey: 'k', requestId: 'r' })).toMatchObject({
      replayed: true,
      job: { id: a.id },
    });
    expect(() => create(2, 'k')).toThrow(expect.objectContaining({ code: 'idempotency_key_conflict' }));
    service.cancel(a.id);
    now += 10_001;
    expect(create(2, 'k').id).not.toBe(a.id);
  });

  it('fails a job left running by a previous process as interrupted and resumes pending ones', async () => {
    const a = create(1);
    const b = create(2);
    await tick();
    expect(service.get(a.id).status).toBe('running');
    backend.boot.onModuleDestroy();
    service = boot();
    expect(service.get(a.id)).toMatchObject({ status: 'failed', errorCode: 'interrupted' });
    await tick();
    expect(service.get(b.id).status).toBe('running');
  });

  it('pages newest first with keyset cursors', () => {
    const ids = [1, 2, 3].map((n) => create(n).id);
    const first = service.list({ limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const second = service.list({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
  });
  it('shows the progress a running task reports, and none once the job finished', async () => {
    const a = create(1);
    await tick();
    expect(service.get(a.id).progress).toBeNull();
    task.runs[0].context.reportProgress({ phase: 'features', done: 3, total: 12 });
    expect(service.get(a.id).progress).toEqual({ phase: 'features', done: 3, total: 12 });
    expect(service.list({}).items[0].progress).toEqual({ phase: 'features', done: 3, total: 12 });
    task.runs[0].resolve({ ok: 1 });
    await tick();
    expect(service.get(a.id)).toMatchObject({ status: 'done', progress: null });
  });

  it('labels jobs with the recipe, role and ROI of their payload', () => {
    const job = service.create({
      task: 'manual',
      fields: { n: 1, recipe_id: 'r1', role_id: 'Inspection', roi_id: 'roi-2' } as never,
      fieldsLocation: ['body'],
      idempotencyKey: null,
      requestId: 'req',
    }).job;
    expect(service.get(job.id).labels).toEqual({ recipeId: 'r1', roleId: 'Inspection', roiId: 'roi-2' });
    expect(service.list({}).items[0].labels).toEqual({ recipeId: 'r1', roleId: 'Inspection', roiId: 'roi-2' });
    expect(create(2).labels).toEqual({});
  });

  it('counts every job that reached a terminal state by task and status', async () => {
    const a = create(1);
    const b = create(2);
    await tick();
    task.runs[0].resolve({});
    await tick();
    await tick();
    service.cancel(b.id);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/bdi_jobs_finished_total\{task="manual",status="done"\} 1\b/);
    expect(text).toMatch(/bdi_jobs_finished_total\{task="manual",status="canceled"\} 1\b/);
    expect(service.get(a.id).status).toBe('done');
  });

});

describe('job cursor and fingerprint', () => {
  it('round-trips sequences and rejects anything it did not issue', () => {
    expect(decodeJobCursor(encodeJobCursor(42))).toBe(42);
    for (const garbage of ['not-a-number', '-1', '0', '', 'ajE6MA', encodeJobCursor(42) + 'A']) expect(decodeJobCursor(garbage)).toBeNull();
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

});
