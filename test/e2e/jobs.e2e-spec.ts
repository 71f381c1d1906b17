import request from 'supertest';
import { pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import {
  createJob,
  createJobId,
  expectContractError,
  getJob,
  ISO_MS,
  ITEM_KEYS,
  sleep,
  waitForJob,
  walkJobs,
} from './support/jobs-client';
import { startTestApp, TestApp } from './support/test-app';

describe('jobs: lifecycle, results, cancel, retry, idempotency, list', () => {
  let t: TestApp;
  let IMG: string; // one bright square on black: one object
  let IMG_OTHER: string;

  beforeAll(async () => {
    t = await startTestApp({ BDI_DEBUG_SLEEP: '1', JOBS_CONCURRENCY: '4' });
    IMG = await pngDataUrl(rgbImage(100, 50, 0, [{ x: 20, y: 10, width: 20, height: 20, value: 255 }]));
    IMG_OTHER = await pngDataUrl(rgbImage(64, 64, 0, [{ x: 8, y: 8, width: 16, height: 16, value: 200 }]));
  });
  afterAll(async () => t.close());

  describe('create and run', () => {
    it('answers 200 pending with exactly {jobId,status,acceptedAt,requestId} before the work starts', async () => {
      const res = await createJob(t, { imageBase64: IMG, debugSleepMs: 200 });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['acceptedAt', 'jobId', 'requestId', 'status']);
      expect(res.body.status).toBe('pending');
      expect(res.body.acceptedAt).toMatch(ISO_MS);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('runs to done with millisecond UTC timestamps in order, and the result equals POST /detect/objects', async () => {
      const created = await createJob(t, { imageBase64: IMG });
      const job = await waitForJob(t, created.body.jobId);
      expect(Object.keys(job).sort()).toEqual([...ITEM_KEYS, 'requestId'].sort());
      expect(job).toMatchObject({ status: 'done', task: 'detect-objects', error: null, errorCode: null, retryOf: null });
      for (const key of ['createdAt', 'startedAt', 'finishedAt']) expect(job[key]).toMatch(ISO_MS);
      expect(job.createdAt).toBe(created.body.acceptedAt);
      expect(Date.parse(job.createdAt as string)).toBeLessThanOrEqual(Date.parse(job.startedAt as string));
      expect(Date.parse(job.startedAt as string)).toBeLessThanOrEqual(Date.parse(job.finishedAt as string));

      const result = await request(t.server).get(`/jobs/${created.body.jobId}/result`);
      expect(result.status).toBe(200);
      expect(Object.keys(result.body).sort()).toEqual(['jobId', 'latencyMs', 'modelVersion', 'objects', 'requestId']);
      expect(result.body.jobId).toBe(created.body.jobId);
      // The stored request id of the run: the creating request's id, the same on every read.
      expect(result.body.requestId).toBe(created.body.requestId);
      const again = await request(t.server).get(`/jobs/${created.body.jobId}/result`);
      expect(again.body.requestId).toBe(created.body.requestId);
      const sync = await request(t.server).post('/detect/objects').send({ imageBase64: IMG });
      expect(result.body.objects).toEqual(sync.body.objects);
      expect(result.body.objects).toEqual([expect.objectContaining({ x: 20, y: 10, width: 20, height: 20, label: 'foreground' })]);
      expect(result.body.modelVersion).toBe(sync.body.modelVersion);
    });

    it('accepts the task fields grouped in `payload`', async () => {
      const res = await request(t.server).post('/jobs').send({ task: 'detect-objects', payload: { imageBase64: IMG, minScore: 0.99 } });
      expect(res.status).toBe(200);
      await waitForJob(t, res.body.jobId);
      const result = await request(t.server).get(`/jobs/${res.body.jobId}/result`);
      expect(result.body.objects).toEqual([]);
    });

    it('answers job_not_completed while pending or running, with details {jobId,status}', async () => {
      const id = await createJobId(t, { imageBase64: IMG, debugSleepMs: 1500 });
      const res = await request(t.server).get(`/jobs/${id}/result`);
      expectContractError(res, 409, 'job_not_completed');
      expect(res.body.details.jobId).toBe(id);
      expect(['pending', 'running']).toContain(res.body.details.status);
      const job = (await getJob(t, id)).body;
      expect(job).toMatchObject({ finishedAt: null, error: null });
      await request(t.server).post(`/jobs/${id}/cancel`);
    });
  });

  describe('validation', () => {
    it('rejects an unknown task with 400 unsupported_task naming it', async () => {
      const res = await request(t.server).post('/jobs').send({ task: 'x', imageBase64: IMG });
      expectContractError(res, 400, 'unsupported_task');
      expect(res.body.details.task).toBe('x');
    });

    it('rejects a missing task, a missing image and a non-string image with 422 naming the field', async () => {
      const noTask = await request(t.server).post('/jobs').send({ imageBase64: IMG });
      expectContractError(noTask, 422, 'validation_error');
      expect(noTask.body.details.errors.map((e: { loc: string[] }) => e.loc)).toContainEqual(['body', 'task']);
      const noImage = await request(t.server).post('/jobs').send({ task: 'detect-objects' });
      expectContractError(noImage, 422, 'validation_error');
      expect(noImage.body.details.errors.map((e: { loc: string[] }) => e.loc)).toContainEqual(['body', 'imageBase64']);
      const inPayload = await request(t.server).post('/jobs').send({ task: 'detect-objects', payload: { imageBase64: 5 } });
      expect(inPayload.body.details.errors.map((e: { loc: string[] }) => e.loc)).toContainEqual(['body', 'payload', 'imageBase64']);
    });

    it('accepts a bad image at create time; the job fails with the decoder reason', async () => {
      const id = await createJobId(t, { imageBase64: 'nope' });
      const job = await waitForJob(t, id);
      expect(job).toMatchObject({ status: 'failed', errorCode: 'invalid_image_payload' });
      expect(job.error).toMatch(/^invalid image payload: /);
      const result = await request(t.server).get(`/jobs/${id}/result`);
      expectContractError(result, 409, 'job_failed');
      expect(result.body).toMatchObject({ message: job.error, details: { jobId: id } });
      const cancel = await request(t.server).post(`/jobs/${id}/cancel`);
      expectContractError(cancel, 409, 'job_not_cancelable');
      expect(cancel.body.details).toEqual({ jobId: id, status: 'failed' });
    });

    it('answers 404 job_not_found for an unknown id on every job route', async () => {
      for (const [method, path] of [
        ['get', '/jobs/does-not-exist'],
        ['get', '/jobs/does-not-exist/result'],
        ['post', '/jobs/does-not-exist/cancel'],
        ['post', '/jobs/does-not-exist/retry'],
      ] as const) {
        const res = await request(t.server)[method](path);
        expectContractError(res, 404, 'job_not_found');
        expect(res.body).toMatchObject({ message: 'job not found', details: { jobId: 'does-not-exist' } });
      }
    });
  });

  describe('cancel', () => {
    it('cancels a running job, aborts it, and a late finish never overwrites canceled', async () => {
      const id = await createJobId(t, { imageBase64: IMG, debugSleepMs: 800 });
      await waitForJob(t, id, (s) => s === 'running');
      const res = await request(t.server).post(`/jobs/${id}/cancel`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ jobId: id, status: 'canceled', error: 'job canceled by user', errorCode: 'job_canceled' });
      expect(res.body.finishedAt).toMatch(ISO_MS);
      const result = await request(t.server).get(`/jobs/${id}/result`);
      expectContractError(result, 409, 'job_canceled');
      expect(result.body.message).toBe('job canceled by user');

      await sleep(1000);
      expect((await getJob(t, id)).body.status).toBe('canceled');
      const second = await request(t.server).post(`/jobs/${id}/cancel`);
      expect(second.status).toBe(200);
      expect(second.body.finishedAt).toBe(res.body.finishedAt);
    });

    it('cancels a pending job, which never starts', async () => {
      // Fill the 4 slots so the fifth job waits.
      const blockers = await Promise.all([1, 2, 3, 4].map(() => createJobId(t, { imageBase64: IMG, debugSleepMs: 1000 })));
      const id = await createJobId(t, { imageBase64: IMG });
      const res = await request(t.server).post(`/jobs/${id}/cancel`);
      expect(res.body).toMatchObject({ status: 'canceled', startedAt: null });
      await Promise.all(blockers.map((b) => request(t.server).post(`/jobs/${b}/cancel`)));
      await sleep(100);
      expect((await getJob(t, id)).body).toMatchObject({ status: 'canceled', startedAt: null });
    });

    it('refuses to cancel a done job: 409 job_not_cancelable with {jobId,status}', async () => {
      const id = await createJobId(t, { imageBase64: IMG });
      await waitForJob(t, id);
      const res = await request(t.server).post(`/jobs/${id}/cancel`);
      expectContractError(res, 409, 'job_not_cancelable');
      expect(res.body).toMatchObject({ message: 'job already completed', details: { jobId: id, status: 'done' } });
    });
  });

  describe('retry', () => {
    it('re-submits a canceled job as a new linked job that replays the stored request', async () => {
      const id = await createJobId(t, { imageBase64: IMG, debugSleepMs: 2000 });
      await request(t.server).post(`/jobs/${id}/cancel`);
      const res = await request(t.server).post(`/jobs/${id}/retry`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'pending', retryOf: id });
      expect(res.body.jobId).not.toBe(id);
      expect(res.body.acceptedAt).toMatch(ISO_MS);
      // Stored request replayed, debug sleep included: cancel it once running, then check the link.
      const retried = await waitForJob(t, res.body.jobId, (s) => s === 'running');
      expect(retried.retryOf).toBe(id);
      await request(t.server).post(`/jobs/${res.body.jobId}/cancel`);
    });

    it('re-submits a failed job', async () => {
      const id = await createJobId(t, { imageBase64: 'bad' });
      await waitForJob(t, id);
      const res = await request(t.server).post(`/jobs/${id}/retry`);
      const job = await waitForJob(t, res.body.jobId);
      expect(job).toMatchObject({ status: 'failed', retryOf: id, errorCode: 'invalid_image_payload' });
    });

    it('serves the stored request (what retry re-submits) at /jobs/{id}/request', async () => {
      const id = await createJobId(t, { imageBase64: IMG, minScore: 0.5 });
      const res = await request(t.server).get(`/jobs/${id}/request`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ jobId: id, task: 'detect-objects', request: { imageBase64: IMG, minScore: 0.5 } });
      expectContractError(await request(t.server).get('/jobs/nope/request'), 404, 'job_not_found');
    });

    it('refuses to retry a done job with 409 job_not_retryable', async () => {
      const id = await createJobId(t, { imageBase64: IMG });
      await waitForJob(t, id);
      const res = await request(t.server).post(`/jobs/${id}/retry`);
      expectContractError(res, 409, 'job_not_retryable');
      expect(res.body.details).toEqual({ jobId: id, status: 'done' });
    });
  });

  describe('idempotency', () => {
    it('returns the existing job for the same key and payload: same jobId and acceptedAt, new requestId', async () => {
      const body = { imageBase64: IMG, debugSleepMs: 300, idempotencyKey: 'key-123' };
      const a = await createJob(t, body);
      const b = await createJob(t, body);
      expect(b.status).toBe(200);
      expect(b.body.jobId).toBe(a.body.jobId);
      expect(b.body.acceptedAt).toBe(a.body.acceptedAt);
      expect(b.body.requestId).not.toBe(a.body.requestId);
      expect(b.headers['idempotent-replay']).toBe('true');
      await waitForJob(t, a.body.jobId);
      const c = await createJob(t, { ...body, minScore: 0.35 }); // the default spelled out is the same payload
      expect(c.body).toMatchObject({ jobId: a.body.jobId, status: 'done' });
    });

    it('rejects the same key with a different payload: 422 idempotency_key_conflict', async () => {
      await createJob(t, { imageBase64: IMG, idempotencyKey: 'key-conflict' });
      const res = await createJob(t, { imageBase64: IMG_OTHER, idempotencyKey: 'key-conflict' });
      expectContractError(res, 422, 'idempotency_key_conflict');
      expect(res.body.details.idempotencyKey).toBe('key-conflict');
    });

    it('treats empty and null keys as no key', async () => {
      const before = (await request(t.server).get('/health')).body.idempotencyKeysInMemory;
      const ids = [
        await createJobId(t, { imageBase64: IMG, idempotencyKey: '' }),
        await createJobId(t, { imageBase64: IMG, idempotencyKey: '' }),
        await createJobId(t, { imageBase64: IMG, idempotencyKey: null }),
        await createJobId(t, { imageBase64: IMG, idempotencyKey: null }),
      ];
      expect(new Set(ids).size).toBe(4);
      expect((await request(t.server).get('/health')).body.idempotencyKeysInMemory).toBe(before);
      await createJobId(t, { imageBase64: IMG, idempotencyKey: 'fresh-key' });
      expect((await request(t.server).get('/health')).body.idempotencyKeysInMemory).toBe(before + 1);
    });

    it('takes the key from the Idempotency-Key header; header and body must agree', async () => {
      const a = await createJob(t, { imageBase64: IMG }, { 'Idempotency-Key': 'hdr-1' });
      const b = await createJob(t, { imageBase64: IMG, idempotencyKey: 'hdr-1' });
      expect(b.body.jobId).toBe(a.body.jobId);
      const both = await createJob(t, { imageBase64: IMG, idempotencyKey: 'hdr-1' }, { 'Idempotency-Key': 'hdr-1' });
      expect(both.body.jobId).toBe(a.body.jobId);
      const differ = await createJob(t, { imageBase64: IMG, idempotencyKey: 'one' }, { 'Idempotency-Key': 'two' });
      expectContractError(differ, 422, 'validation_error');
    });

    it('creates exactly one job for 20 concurrent creates with one key', async () => {
      const before = (await request(t.server).get('/health')).body.jobsInMemory;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => createJob(t, { imageBase64: IMG, idempotencyKey: 'parallel-key' })),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(responses.map((r) => r.body.jobId)).size).toBe(1);
      expect((await request(t.server).get('/health')).body.jobsInMemory).toBe(before + 1);
    });
  });

  describe('list', () => {
    it('answers {items,nextCursor,requestId} with item keys, newest first even within one millisecond', async () => {
      const a = await createJobId(t, { imageBase64: IMG });
      const b = await createJobId(t, { imageBase64: IMG });
      const res = await request(t.server).get('/jobs?limit=2');
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor', 'requestId']);
      expect(Object.keys(res.body.items[0]).sort()).toEqual(ITEM_KEYS);
      expect(res.body.items.map((i: { jobId: string }) => i.jobId)).toEqual([b, a]);
    });

    it('pages with the default limit 20 and an opaque cursor; a walk visits every job once', async () => {
      for (let i = 0; i < 25; i++) await createJobId(t, { imageBase64: IMG });
      const first = await request(t.server).get('/jobs');
      expect(first.body.items).toHaveLength(20);
      expect(typeof first.body.nextCursor).toBe('string');
      const all = await walkJobs(t, { limit: '100' });
      const walked = await walkJobs(t, { limit: '7' });
      expect(walked).toEqual(all);
      expect(new Set(walked).size).toBe(walked.length);
    });

    it('stays stable while jobs are created between pages: every job seen once, none skipped', async () => {
      const before = await walkJobs(t, { limit: '100' });
      const created: string[] = [];
      const walked = await walkJobs(t, { limit: '5' }, async () => {
        created.push(await createJobId(t, { imageBase64: IMG }));
      });
      expect(walked).toEqual(before);
      expect(created.length).toBeGreaterThan(0);
      expect(walked.some((id) => created.includes(id))).toBe(false);
    });

    it('filters by status', async () => {
      const id = await createJobId(t, { imageBase64: IMG, debugSleepMs: 1000 });
      await request(t.server).post(`/jobs/${id}/cancel`);
      const canceled = await request(t.server).get('/jobs?status=canceled&limit=100');
      expect(canceled.body.items.length).toBeGreaterThan(0);
      expect(canceled.body.items.every((i: { status: string }) => i.status === 'canceled')).toBe(true);
      expect(canceled.body.items.map((i: { jobId: string }) => i.jobId)).toContain(id);
      const done = await request(t.server).get('/jobs?status=done&limit=100');
      expect(done.body.items.every((i: { status: string }) => i.status === 'done')).toBe(true);
      expectContractError(await request(t.server).get('/jobs?status=bogus'), 422, 'validation_error');
    });

    it('validates limit: 0 and 101 → 400 invalid_pagination, abc → 422, 1 and 100 → 200', async () => {
      for (const limit of [0, 101]) {
        const res = await request(t.server).get(`/jobs?limit=${limit}`);
        expectContractError(res, 400, 'invalid_pagination');
        expect(res.body).toMatchObject({ message: 'limit must be between 1 and 100', details: { limit } });
      }
      expectContractError(await request(t.server).get('/jobs?limit=abc'), 422, 'validation_error');
      expectContractError(await request(t.server).get('/jobs?limit=1.5'), 422, 'validation_error');
      expect((await request(t.server).get('/jobs?limit=1')).status).toBe(200);
      expect((await request(t.server).get('/jobs?limit=100')).status).toBe(200);
    });

    it('rejects garbage cursors with 400 invalid_cursor; an empty cursor is the first page', async () => {
      for (const cursor of ['not-a-number', '-1', '999', 'ajE6MA', '%%%']) {
        const res = await request(t.server).get('/jobs').query({ cursor });
        expectContractError(res, 400, 'invalid_cursor');
        expect(res.body.details.cursor).toBe(cursor);
      }
      const empty = await request(t.server).get('/jobs?cursor=&limit=3');
      const none = await request(t.server).get('/jobs?limit=3');
      expect(empty.body.items).toEqual(none.body.items);
    });
  });

  describe('health, OpenAPI and CORS', () => {
    it('documents every job route in /docs-json', async () => {
      const paths = Object.keys((await request(t.server).get('/docs-json')).body.paths);
      for (const p of ['/jobs', '/jobs/{jobId}', '/jobs/{jobId}/result', '/jobs/{jobId}/cancel', '/jobs/{jobId}/retry', '/jobs/{jobId}/request', '/detect/objects']) {
        expect(paths).toContain(p);
      }
    });

    it('reports stored jobs, keys and counts by status', async () => {
      const res = await request(t.server).get('/health');
      const counts = res.body.jobs as Record<string, number>;
      expect(Object.keys(counts).sort()).toEqual(['canceled', 'done', 'failed', 'pending', 'running', 'timeout']);
      expect(res.body.jobsInMemory).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
      expect(res.body.jobsInMemory).toBeGreaterThan(0);
      expect(res.body.idempotencyKeysInMemory).toBeGreaterThan(0);
    });

    it('answers CORS on job errors and preflights', async () => {
      const res = await request(t.server).get('/jobs/x').set('Origin', 'http://localhost:4173');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const pre = await request(t.server)
        .options('/jobs')
        .set('Origin', 'http://localhost:4173')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type');
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
    });
  });
});
