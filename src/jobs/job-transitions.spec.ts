import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import { JsonObject } from './job.types';
import { ManualTask, manualTaskRegistry } from './testing/manual-task';
import { SqliteJobBackend, sqliteJobBackend } from './testing/sqlite-job-backend';

describe('JobTransitions', () => {
  let dir: string;
  let now: number;
  let backend: SqliteJobBackend;
  const config = { jobs: { ttlSeconds: 10, maxItems: 2, concurrency: 1, sweepIntervalSeconds: 1000, nodeId: 'node-a' } } as AppConfig;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-job-transitions-'));
    now = Date.UTC(2030, 0, 1);
    backend = sqliteJobBackend(path.join(dir, 'jobs.sqlite'), manualTaskRegistry(new ManualTask()), config, { now: () => now }, pino({ level: 'silent' }));
  });
  afterEach(() => {
    backend.repository.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A pending row, written straight to the database (no runner picks it up: the spec drives the transitions). */
  function insert(task = 'manual', payload: JsonObject = { n: 1 }): string {
    const id = `job-${backend.repository.list({ limit: 1000 }).length + 1}`;
    backend.repository.createOrFind({ id, task, payload, fingerprint: 'f', idempotencyKey: null, requestId: `req-${id}`, retryOf: null, createdAt: now });
    return id;
  }
  const status = (id: string) => backend.repository.findSummary(id);

  it('claims a pending job: running on this node, with the payload stored at creation and the task deadline', () => {
    const id = insert('manual', { n: 7 });
    now += 500;
    const claimed = backend.transitions.claim(id);
    expect(claimed).toMatchObject({ id, requestId: `req-${id}`, payload: { n: 7 }, timeoutMs: 60_000 });
    expect(claimed?.handler.name).toBe('manual');
    expect(status(id)).toMatchObject({ status: 'running', node: 'node-a', startedAt: now });
  });

  it('claims a job once: a second claim, or a claim of a canceled job, answers null', () => {
    const a = insert();
    const b = insert();
    expect(backend.transitions.claim(a)).not.toBeNull();
    expect(backend.transitions.claim(a)).toBeNull();
    expect(backend.transitions.cancel(b)).toBe(true);
    expect(backend.transitions.claim(b)).toBeNull();
    expect(status(b)?.status).toBe('canceled');
  });

  it('fails a job whose task has no handler as unsupported_task instead of running it', () => {
    const id = insert('retired-task');
    expect(backend.transitions.claim(id)).toBeNull();
    expect(status(id)).toMatchObject({ status: 'failed', errorCode: 'unsupported_task' });
  });

  it('lets the first terminal transition win: a late succeed or expire after cancel changes nothing', () => {
    const id = insert();
    backend.transitions.claim(id);
    now += 1000;
    expect(backend.transitions.cancel(id)).toBe(true);
    now += 1000;
    backend.transitions.succeed(id, { late: true });
    backend.transitions.expire(id);
    expect(backend.transitions.cancel(id)).toBe(false);
    expect(status(id)).toMatchObject({ status: 'canceled', errorCode: 'job_canceled', error: 'job canceled by user', finishedAt: now - 1000 });
    expect(backend.repository.find(id)?.result).toBeNull();
  });

  it("stores a coded error's code and message, and an unexpected error as internal_error", () => {
    const coded = insert();
    const unexpected = insert();
    backend.transitions.claim(coded);
    backend.transitions.claim(unexpected);
    backend.transitions.fail(coded, new ApiError('invalid_image_payload', 'not an image'));
    backend.transitions.fail(unexpected, new TypeError('x is undefined'));
    expect(status(coded)).toMatchObject({ status: 'failed', errorCode: 'invalid_image_payload', error: 'not an image' });
    expect(status(unexpected)).toMatchObject({ status: 'failed', errorCode: 'internal_error' });
    expect(status(unexpected)?.error).not.toContain('x is undefined');
  });

  it('turns a running job timeout at its deadline, and only a running one', () => {
    const running = insert();
    const pending = insert();
    backend.transitions.claim(running);
    backend.transitions.expire(running);
    backend.transitions.expire(pending);
    expect(status(running)).toMatchObject({ status: 'timeout', errorCode: 'job_timeout', error: 'job exceeded processing timeout' });
    expect(status(pending)?.status).toBe('pending');
  });

  it('keeps the last progress of a running job and forgets it once the job finished', () => {
    const id = insert();
    backend.transitions.claim(id);
    expect(backend.transitions.progressOf(id)).toBeNull();
    backend.transitions.progress(id, { phase: 'features', done: 1, total: 4 });
    backend.transitions.progress(id, { phase: 'features', done: 2, total: 4 });
    expect(backend.transitions.progressOf(id)).toEqual({ phase: 'features', done: 2, total: 4 });
    backend.transitions.succeed(id, { ok: 1 });
    expect(backend.transitions.progressOf(id)).toBeNull();
    expect(backend.repository.find(id)).toMatchObject({ status: 'done', result: { ok: 1 } });
  });

  it('counts each terminal transition once, by task and status', async () => {
    const id = insert();
    backend.transitions.claim(id);
    backend.transitions.succeed(id, {});
    backend.transitions.succeed(id, {});
    backend.transitions.fail(id, new Error('late'));
    const text = await backend.metrics.registry.metrics();
    expect(text).toMatch(/bdi_jobs_finished_total\{task="manual",status="done"\} 1\b/);
    expect(text).not.toMatch(/bdi_jobs_finished_total\{task="manual",status="failed"\}/);
  });

  it('keeps the item limit after a job finished by evicting the oldest finished job', () => {
    const [a, b, c] = [insert(), insert(), insert()];
    for (const id of [a, b]) {
      backend.transitions.claim(id);
      backend.transitions.succeed(id, {});
    }
    // 3 rows > maxItems 2: the oldest finished one goes; the pending one stays.
    expect(status(a)).toBeNull();
    expect(status(b)?.status).toBe('done');
    expect(status(c)?.status).toBe('pending');
  });
});
