import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import { createJobId, getJob, sleep, waitForJob, walkJobs } from './support/jobs-client';
import { startTestApp, TestApp } from './support/test-app';

describe('jobs: durability across restarts (SQLite)', () => {
  let root: string;
  let modelsDir: string;
  let IMG: string;
  const env = { BDI_DEBUG_SLEEP: '1', JOBS_CONCURRENCY: '1' };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-jobs-durable-'));
    modelsDir = path.join(root, 'models');
    IMG = await pngDataUrl(rgbImage(64, 64, 0, [{ x: 8, y: 8, width: 16, height: 16, value: 255 }]));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps every job and result; a job left running fails as interrupted; pending jobs run after the restart', async () => {
    let t: TestApp = await startTestApp(env, { modelsDir });
    const done = await createJobId(t, { imageBase64: IMG, idempotencyKey: 'durable-key' });
    await waitForJob(t, done);
    const failed = await createJobId(t, { imageBase64: 'nope' });
    await waitForJob(t, failed);
    const doneResult = (await request(t.server).get(`/jobs/${done}/result`)).body;
    const running = await createJobId(t, { imageBase64: IMG, debugSleepMs: 20_000 });
    await waitForJob(t, running, (s) => s === 'running');
    const pendingA = await createJobId(t, { imageBase64: IMG });
    const pendingB = await createJobId(t, { imageBase64: IMG });
    expect((await getJob(t, pendingB)).body.status).toBe('pending');
    const listBefore = await walkJobs(t, { limit: '2' });
    await t.close(); // mid-run: the sleeping job is abandoned as a crash would leave it

    t = await startTestApp(env, { modelsDir });
    try {
      expect(await walkJobs(t, { limit: '2' })).toEqual(listBefore);
      expect((await request(t.server).get(`/jobs/${done}/result`)).body).toEqual(doneResult);
      expect((await getJob(t, failed)).body).toMatchObject({ status: 'failed', errorCode: 'invalid_image_payload' });
      const interrupted = (await getJob(t, running)).body;
      expect(interrupted).toMatchObject({ status: 'failed', errorCode: 'interrupted', error: 'job interrupted by a service restart' });
      expect(interrupted.finishedAt).not.toBeNull();
      const a = await waitForJob(t, pendingA);
      const b = await waitForJob(t, pendingB);
      expect([a.status, b.status]).toEqual(['done', 'done']);
      // FIFO: the older pending job started first.
      expect(Date.parse(a.startedAt as string)).toBeLessThanOrEqual(Date.parse(b.startedAt as string));
      // Idempotency keys survive too.
      const replay = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, idempotencyKey: 'durable-key' });
      expect(replay.body).toMatchObject({ jobId: done, status: 'done' });
      // The interrupted job can be retried from its stored request (image included).
      const retry = await request(t.server).post(`/jobs/${running}/retry`);
      expect(retry.status).toBe(200);
      await waitForJob(t, retry.body.jobId, (s) => s === 'running');
      await request(t.server).post(`/jobs/${retry.body.jobId}/cancel`);
      await sleep(50);
    } finally {
      await t.close();
    }
  });
});
