import request from 'supertest';
import { pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import { JobRepository } from '../../src/jobs/job.repository';
import { createJobId, expectContractError, getJob, sleep, waitForJob } from './support/jobs-client';
import { startTestApp, TestApp } from './support/test-app';

let IMG: string;
beforeAll(async () => {
  IMG = await pngDataUrl(rgbImage(64, 64, 0, [{ x: 8, y: 8, width: 16, height: 16, value: 255 }]));
});

describe('jobs: timeout on time', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_DEBUG_SLEEP: '1', JOB_RUN_TIMEOUT_SECONDS: '0.5', JOBS_CONCURRENCY: '1' });
  });
  afterAll(async () => t.close());

  it('turns a job timeout at the deadline and aborts its work, freeing the slot at once', async () => {
    expect((await request(t.server).get('/health')).body.jobRunTimeoutSec).toBe(0.5);
    const slow = await createJobId(t, { imageBase64: IMG, debugSleepMs: 10_000 });
    const next = await createJobId(t, { imageBase64: IMG });
    const job = await waitForJob(t, slow, undefined, 3000);
    expect(job).toMatchObject({ status: 'timeout', error: 'job exceeded processing timeout', errorCode: 'job_timeout' });
    const ranMs = Date.parse(job.finishedAt as string) - Date.parse(job.startedAt as string);
    expect(ranMs).toBeGreaterThanOrEqual(490);
    expect(ranMs).toBeLessThan(1000);
    // With one slot, the next job starting right after proves the sleeping work was aborted, not waited for.
    const after = await waitForJob(t, next);
    expect(after.status).toBe('done');
    expect(Date.parse(after.startedAt as string) - Date.parse(job.finishedAt as string)).toBeLessThan(300);

    const result = await request(t.server).get(`/jobs/${slow}/result`);
    expectContractError(result, 409, 'job_timeout');
    expect(result.body.message).toBe('job exceeded processing timeout');
    expectContractError(await request(t.server).post(`/jobs/${slow}/cancel`), 409, 'job_not_cancelable');
    await sleep(600);
    expect((await getJob(t, slow)).body.status).toBe('timeout');
  });

  it('lets a timed-out job be retried', async () => {
    const slow = await createJobId(t, { imageBase64: IMG, debugSleepMs: 2000 });
    await waitForJob(t, slow);
    const retry = await request(t.server).post(`/jobs/${slow}/retry`);
    expect(retry.status).toBe(200);
    expect((await waitForJob(t, retry.body.jobId)).status).toBe('timeout');
  });
});

describe('jobs: TTL after finishing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_DEBUG_SLEEP: '1', JOBS_TTL_SECONDS: '1', JOBS_SWEEP_INTERVAL_SECONDS: '0.2' });
  });
  afterAll(async () => t.close());

  it('removes a finished job after the TTL, freeing its key; a running job is kept', async () => {
    const res = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, idempotencyKey: 'ttl-key' });
    const running = await createJobId(t, { imageBase64: IMG, debugSleepMs: 2500 });
    await waitForJob(t, res.body.jobId);
    expect((await getJob(t, res.body.jobId)).status).toBe(200); // just finished: still there
    await sleep(1500);
    // The timer already deleted the row: read the repository directly (reads only hide expired rows, never delete).
    // (SQLite only; on the Redis backend the HTTP 404 below shows the same thing.)
    if (t.config.jobs.redisUrl === null) expect(t.app.get(JobRepository).findSummary(res.body.jobId)).toBeNull();
    expectContractError(await getJob(t, res.body.jobId), 404, 'job_not_found');
    expect((await getJob(t, running)).body.status).toBe('running');
    const again = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, idempotencyKey: 'ttl-key' });
    expect(again.body.jobId).not.toBe(res.body.jobId);
    await request(t.server).post(`/jobs/${running}/cancel`);
  });
});

describe('jobs: reads treat an expired job as gone before any sweep', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The timer never fires during the test: only reads and writes act.
    t = await startTestApp({ JOBS_TTL_SECONDS: '1', JOBS_SWEEP_INTERVAL_SECONDS: '3600' });
  });
  afterAll(async () => t.close());

  it('answers 404 and lists nothing without deleting it; a create with its idempotency key gets a new job', async () => {
    const first = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, idempotencyKey: 'expired-key' });
    await waitForJob(t, first.body.jobId);
    await sleep(1100);
    expectContractError(await getJob(t, first.body.jobId), 404, 'job_not_found');
    expectContractError(await request(t.server).get(`/jobs/${first.body.jobId}/result`), 404, 'job_not_found');
    expect((await request(t.server).get('/jobs')).body.items).toEqual([]);
    // Still stored: the reads above deleted nothing.
    expect((await request(t.server).get('/health')).body.jobsInMemory).toBe(1);
    const again = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, idempotencyKey: 'expired-key' });
    expect(again.headers['idempotent-replay']).toBeUndefined();
    expect(again.body.jobId).not.toBe(first.body.jobId);
    expect((await request(t.server).get('/health')).body.jobsInMemory).toBe(1);
  });
});

describe('jobs: max items evicts the oldest finished jobs only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_DEBUG_SLEEP: '1', JOBS_MAX_ITEMS: '5', JOBS_CONCURRENCY: '2' });
  });
  afterAll(async () => t.close());

  it('keeps at most 5 jobs once they finish: the two oldest are gone', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createJobId(t, { imageBase64: IMG }));
    for (const id of ids.slice(2)) await waitForJob(t, id);
    const health = (await request(t.server).get('/health')).body;
    expect(health.jobsInMemory).toBeLessThanOrEqual(5);
    expectContractError(await getJob(t, ids[0]), 404, 'job_not_found');
    expectContractError(await getJob(t, ids[1]), 404, 'job_not_found');
    expect((await getJob(t, ids[6])).status).toBe(200);
    expect((await request(t.server).get('/jobs?limit=100')).body.items.length).toBeLessThanOrEqual(5);
  });

  it('never evicts pending or running jobs, even above the limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createJobId(t, { imageBase64: IMG, debugSleepMs: 1500 }));
    const health = (await request(t.server).get('/health')).body;
    expect(health.jobsInMemory).toBeGreaterThanOrEqual(7);
    for (const id of ids) expect(['pending', 'running']).toContain((await getJob(t, id)).body.status);
    for (const id of ids) await request(t.server).post(`/jobs/${id}/cancel`);
    expect((await request(t.server).get('/health')).body.jobsInMemory).toBeLessThanOrEqual(5);
  });
});
