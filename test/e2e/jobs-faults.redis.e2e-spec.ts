// Faults of the Redis backend with a real redis-server: stopped and restarted on the same port while in-process
// nodes run (job routes 503 queue_unavailable, /infer keeps answering, /health/ready follows, nodes reconnect by
// themselves); per-node job counters and the queue depth on /metrics; BullMQ lock renewal while a long fit runs
// beside short jobs (none stalls: with BDI_JOBS_MAX_STALLED=0 a single stall would end a job failed/interrupted).
import { QueueEvents } from 'bullmq';
import request from 'supertest';
import { pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import { discPng } from './support/inspection-fixtures';
import { expectContractError, sleep, waitForJob } from './support/jobs-client';
import { fitRequest, inferRequest, seedFittedModel, SEED_RECIPE, SEED_ROI, SEED_ROLE, uploadSamples } from './support/model-seed';
import { startRedis, TestRedis } from './support/redis-server';
import { startTestApp, TestApp } from './support/test-app';

/** The value of one sample line of the Prometheus text, or null when the series has no sample. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

async function metrics(t: TestApp): Promise<string> {
  return (await request(t.server).get('/metrics')).text;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('Redis backend faults, metrics and lock renewal', () => {
  let redis: TestRedis;
  let IMG: string;
  const apps: TestApp[] = [];
  const node = async (env: Record<string, string>): Promise<TestApp> => {
    const t = await startTestApp({ BDI_REDIS_URL: redis.url, BDI_DEBUG_SLEEP: '1', BDI_MIN_OK_SAMPLES: '2', ...env });
    apps.push(t);
    const close = t.close.bind(t);
    t.close = async () => {
      apps.splice(apps.indexOf(t), 1);
      await close();
    };
    return t;
  };

  beforeAll(async () => {
    redis = await startRedis();
    IMG = await pngDataUrl(rgbImage(64, 64, 0, [{ x: 8, y: 8, width: 16, height: 16, value: 255 }]));
  });
  afterAll(async () => {
    // Also when a test failed while Redis was down: nodes shut down without it.
    for (const t of [...apps]) await t.close().catch(() => undefined);
    await redis?.stop();
  });

  it('counts job runs per node and shows the shared queue depth on /metrics', async () => {
    const prefix = 'metrics';
    const api = await node({ BDI_REDIS_PREFIX: prefix, BDI_NODE_ID: 'api-node', JOBS_CONCURRENCY: '0' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(api.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG })).body.jobId as string);
    // Nobody runs jobs yet (API-only node): all three wait in the queue.
    expect(sample(await metrics(api), 'bdi_jobs_queue_depth')).toBe(3);
    const worker = await node({ BDI_REDIS_PREFIX: prefix, BDI_NODE_ID: 'worker-node', JOBS_CONCURRENCY: '1' });
    for (const id of ids) expect(await waitForJob(api, id, undefined, 60_000)).toMatchObject({ status: 'done', node: 'worker-node' });
    const text = await metrics(worker);
    expect(sample(text, 'bdi_jobs_node_total{node="worker-node",event="started"}')).toBe(3);
    expect(sample(text, 'bdi_jobs_node_total{node="worker-node",event="done"}')).toBe(3);
    expect(sample(text, 'bdi_jobs_queue_depth')).toBe(0);
    expect(await metrics(api)).not.toMatch(/bdi_jobs_node_total\{node="api-node"/);
    await worker.close();
    await api.close();
  });

  it('keeps renewing BullMQ locks while a long fit job runs beside short jobs: none stalls or re-runs', async () => {
    const prefix = 'renewal';
    // A lock of 600 ms: the fit lasts many lock periods; maxStalled 0: a single missed renewal fails a job.
    const t = await node({ BDI_REDIS_PREFIX: prefix, BDI_NODE_ID: 'busy-node', JOBS_CONCURRENCY: '4', BDI_WORKERS: '2', BDI_JOBS_LOCK_MS: '600', BDI_JOBS_MAX_STALLED: '0' });
    const events = new QueueEvents('jobs', { connection: { host: '127.0.0.1', port: redis.port }, prefix: `${prefix}:bull` });
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    try {
      expect((await uploadSamples(t.server, 'ok', 12, 3000)).status).toBe(200);
      const fit = await request(t.server)
        .post('/jobs')
        .send({ task: 'fit-ok', recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, use_dataset: true, memory_fit: true });
      expect(fit.status).toBe(200);
      await waitForJob(t, fit.body.jobId as string, (s) => s !== 'pending', 60_000);
      const shorts: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, debugSleepMs: 200 });
        shorts.push(res.body.jobId as string);
      }
      const fitFinal = await waitForJob(t, fit.body.jobId as string, undefined, 180_000);
      const shortFinals = await Promise.all(shorts.map((id) => waitForJob(t, id, undefined, 120_000)));
      expect(fitFinal).toMatchObject({ status: 'done', node: 'busy-node' });
      expect(shortFinals.map((j) => j.status)).toEqual(new Array(6).fill('done'));
      expect(stalled).toEqual([]);
      const text = await metrics(t);
      expect(sample(text, 'bdi_jobs_node_total{node="busy-node",event="started"}')).toBe(7); // each ran exactly once
    } finally {
      await events.close();
      await t.close();
    }
  });

  it('answers 503 queue_unavailable while Redis is down, keeps /infer working, and reconnects by itself', async () => {
    const t = await node({ BDI_REDIS_PREFIX: 'outage', BDI_NODE_ID: 'outage-node', JOBS_CONCURRENCY: '1' });
    await seedFittedModel(t.server, t.modelsDir, 2);
    const png = await discPng({ size: 64, seed: 5 });
    const before = await inferRequest(t.server, png);
    expect(before.status).toBe(200);
    const done = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG });
    await waitForJob(t, done.body.jobId as string, undefined, 60_000);

    const port = redis.port;
    await redis.stop();
    await until(async () => (await request(t.server).get('/health/ready')).status === 503, '/health/ready to report the outage');
    const health = (await request(t.server).get('/health')).body;
    expect(health.jobsBackend).toEqual({ backend: 'redis', connection: 'down', node: 'outage-node' });
    expectContractError(await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG }), 503, 'queue_unavailable');
    expectContractError(await request(t.server).get(`/jobs/${String(done.body.jobId)}`), 503, 'queue_unavailable');
    expectContractError(await request(t.server).get('/jobs'), 503, 'queue_unavailable');
    // Synchronous inspection does not need Redis.
    const during = await inferRequest(t.server, png);
    expect(during.status).toBe(200);
    expect(during.body.score).toBeCloseTo(before.body.score as number, 6);
    // A fit needs the cross-node model lock: refused rather than written unlocked.
    const fit = await fitRequest(t.server);
    expect({ status: fit.status, code: fit.body.code }).toEqual({ status: 503, code: 'model_lock_unavailable' });

    redis = await startRedis(port); // the same port, empty (no persistence)
    await until(async () => (await request(t.server).get('/health/ready')).status === 200, 'the node to reconnect');
    expect((await request(t.server).get('/health')).body.jobsBackend.connection).toBe('up');
    // Every connection is back once /health/ready says so: the first job created afterwards is accepted and runs.
    const after = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG });
    expect(after.status).toBe(200);
    expect(await waitForJob(t, after.body.jobId as string, undefined, 60_000)).toMatchObject({ status: 'done', node: 'outage-node' });
    expect((await fitRequest(t.server)).status).toBe(200);
    await t.close();
  });
});
