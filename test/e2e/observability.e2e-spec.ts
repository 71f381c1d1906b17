// What an operator watches: every declared metric gets samples from real work (infer, fit, a finished job),
// jobs carry the recipe/role/ROI they work for, and /health tells the device story in one vocabulary.
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
import { circleShape, discPng } from './support/inspection-fixtures';
import { waitForJob } from './support/jobs-client';

const SIZE = 64;
const ROLE = 'Inspection';
const ROI = 'roi-obs';

/** The value of one sample line of the Prometheus text, or null when the series has no sample. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

describe('observability: metrics with samples, labelled jobs, consistent /health', () => {
  let t: TestApp;
  let fitJob: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '10' });
    const meta = JSON.stringify({ mm_per_px: 0.2 });
    for (let i = 0; i < 10; i++) {
      const res = await request(t.server)
        .post('/datasets/ok/upload')
        .field('role_id', ROLE)
        .field('roi_id', ROI)
        .attach('images', await discPng({ seed: 700 + i, size: SIZE }), { filename: `ok${i}.png`, contentType: 'image/png' })
        .field('metas', meta);
      expect(res.status).toBe(200);
    }
    const created = await request(t.server)
      .post('/jobs')
      .send({ task: 'fit-ok', role_id: ROLE, roi_id: ROI, mm_per_px: 0.2, use_dataset: true, recipe_id: 'obs-recipe' });
    expect(created.status).toBe(200);
    fitJob = await waitForJob(t, created.body.jobId as string, undefined, 60_000);
    const calibrate = await request(t.server)
      .post('/jobs')
      .send({ task: 'calibrate-dataset', role_id: ROLE, roi_id: ROI, default_mm_per_px: 0.2, require_ng: false, recipe_id: 'obs-recipe' });
    expect(calibrate.status).toBe(200);
    expect(await waitForJob(t, calibrate.body.jobId as string, undefined, 60_000)).toMatchObject({ status: 'done', error: null });
  }, 120_000);
  afterAll(async () => t.close());

  it('labels a job with its recipe, role and ROI and shows no progress once it is done', () => {
    expect(fitJob).toMatchObject({ status: 'done', task: 'fit-ok', recipeId: 'obs-recipe', roleId: ROLE, roiId: ROI, progress: null });
  });

  it('gives every declared metric samples after one fit, one infer and one finished job', async () => {
    // The jobs above fitted and calibrated the model under its recipe; one synchronous inference against it.
    const infer = await request(t.server)
      .post('/infer')
      .set('X-Recipe-Id', 'obs-recipe')
      .field('role_id', ROLE)
      .field('roi_id', ROI)
      .field('mm_per_px', '0.2')
      .field('shape', circleShape(SIZE))
      .attach('image', await discPng({ seed: 800, size: SIZE }), { filename: 'roi.png', contentType: 'image/png' });
    expect({ status: infer.status, body: infer.status === 200 ? null : infer.body }).toEqual({ status: 200, body: null });
    const text = (await request(t.server).get('/metrics')).text;
    for (const stage of ['decode', 'backbone', 'knn', 'post']) {
      expect(sample(text, `bdi_inference_stage_duration_seconds_count{stage="${stage}"}`)).toBeGreaterThanOrEqual(1);
    }
    expect(sample(text, 'bdi_fit_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'bdi_fit_duration_seconds_sum{outcome="ok"}')).toBeGreaterThan(0);
    expect(sample(text, 'bdi_jobs_finished_total{task="fit-ok",status="done"}')).toBe(1);
    expect(sample(text, 'bdi_jobs_finished_total{task="calibrate-dataset",status="done"}')).toBe(1);
    expect(sample(text, 'bdi_jobs{status="done"}')).toBe(2);
    expect(sample(text, 'bdi_pool_queue_depth')).toBe(0);
    expect(sample(text, 'bdi_pool_workers')).toBe(1);
    const utilisation = sample(text, 'bdi_pool_utilisation');
    expect(utilisation).toBeGreaterThan(0);
    expect(utilisation).toBeLessThanOrEqual(1);
    // Every bdi_ metric the service declares (HELP line) has at least one sample.
    const declared = [...text.matchAll(/^# HELP (bdi_[a-z_]+) /gm)].map((m) => m[1]);
    const silent = declared.filter((name) => !new RegExp(`^${name}(_count|_total|_bucket|_sum)?(\\{|\\s)`, 'm').test(text));
    expect(silent).toEqual([]);
    // The Grafana dashboard charts only metrics the service exposes.
    const dashboard = fs.readFileSync(path.join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8');
    const charted = [...new Set([...dashboard.matchAll(/\b(bdi_[a-z0-9_]+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1]))];
    expect(charted.length).toBeGreaterThanOrEqual(10);
    expect(charted.filter((name) => !text.includes(`# TYPE ${name} `))).toEqual([]);
  });

  it('reports the device in one vocabulary: reason, the request, and detail only when it explains more', async () => {
    const res = await request(t.server).get('/health');
    expect(res.body).toMatchObject({ device: 'cpu', reason: 'cuda_not_available', deviceRequested: 'cpu' });
    expect(res.body.deviceDetail).toBeUndefined();
  });
});
