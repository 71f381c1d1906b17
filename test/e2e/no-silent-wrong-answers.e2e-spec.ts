// Issue 13: plausible user mistakes get a clear error or an explicit answer, never a plausible wrong result.
// Real app, real workers, ONNX, FAISS and SQLite on a temporary models directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { circleShape, discPng } from './support/inspection-fixtures';
import { waitForJob } from './support/jobs-client';
import { readDiagnostics, startTestApp, TestApp } from './support/test-app';
import { fitRequest, SEED_ROI, SEED_ROLE, SEED_SIZE, uploadSamples } from './support/model-seed';

const OWN = 'default';
const TYPO = 'typo-recipe';

function infer(t: TestApp, recipe: string, png: Buffer, extra: Record<string, string> = {}): request.Test {
  let req = request(t.server).post('/infer').field('recipe_id', recipe).field('role_id', SEED_ROLE).field('roi_id', SEED_ROI).field('mm_per_px', '0.2');
  req = req.field('shape', extra.shape ?? circleShape(SEED_SIZE));
  for (const [k, v] of Object.entries(extra)) if (k !== 'shape') req = req.field(k, v);
  return req.attach('image', png, { filename: 'roi.png', contentType: 'image/png' });
}

describe('no silent wrong answers', () => {
  let t: TestApp;
  let calibFile: string;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '4' });
    expect((await uploadSamples(t.server, 'ok', 4, 1000, { recipe: OWN })).status).toBe(200);
    expect((await fitRequest(t.server, { recipe: OWN })).status).toBe(200);
    const calib = await request(t.server)
      .post('/calibrate_ng')
      .send({ recipe_id: OWN, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, ok_scores: [1, 1.2, 1.1], ng_scores: [3, 4] });
    expect(calib.status).toBe(200);
    calibFile = fs
      .readdirSync(path.join(t.modelsDir, 'recipes', OWN, SEED_ROI))
      .map((f) => path.join(t.modelsDir, 'recipes', OWN, SEED_ROI, f))
      .find((f) => f.endsWith('_calib.json')) as string;
  });
  afterAll(async () => t.close());

  describe('which model answered is never hidden', () => {
    it('says that a mistyped recipe was answered by the default recipe\'s model (route, /state, /manifest, job, diagnostics)', async () => {
      const res = await infer(t, TYPO, await discPng({ size: SEED_SIZE, seed: 1000 })).set('X-Request-Id', 'typo-1');
      expect(res.status).toBe(200);
      expect(res.body.model_source).toBe('default_recipe');
      expect(res.body.model_fallback).toBe(true);
      expect(res.body.model_artifacts.memory).toEqual({ path: expect.stringMatching(/^recipes\/default\/roi-1\/.+\.npz$/), source: 'default_recipe' });
      expect(res.body.model_artifacts.calib.source).toBe('default_recipe');

      const state = await request(t.server).get('/state').query({ recipe_id: TYPO, role_id: SEED_ROLE, roi_id: SEED_ROI });
      expect(state.body).toMatchObject({ memory_fitted: true, model_source: 'default_recipe', model_fallback: true });
      const manifest = await request(t.server).get('/manifest').query({ recipe_id: TYPO, role_id: SEED_ROLE, roi_id: SEED_ROI });
      expect(manifest.body).toMatchObject({ memory: true, model_source: 'default_recipe', model_fallback: true });

      const png = await discPng({ size: SEED_SIZE, seed: 1000 });
      const job = await request(t.server)
        .post('/jobs')
        .send({ task: 'infer', recipe_id: TYPO, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, imageBase64: png.toString('base64'), shape: JSON.parse(circleShape(SEED_SIZE)) });
      expect(job.status).toBe(200);
      const done = await waitForJob(t, job.body.jobId as string, undefined, 20_000);
      expect(done.status).toBe('done');
      const result = await request(t.server).get(`/jobs/${job.body.jobId}/result`);
      expect(result.body).toMatchObject({ model_source: 'default_recipe', model_fallback: true });

      const event = readDiagnostics(t.logDir).find((e) => e.event === 'infer.response' && e.request_id === 'typo-1');
      expect(event).toMatchObject({ model_source: 'default_recipe', model_fallback: true });
    });

    it('says model_source "recipe" for the recipe\'s own model', async () => {
      const res = await infer(t, OWN, await discPng({ size: SEED_SIZE, seed: 1000 }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model_source: 'recipe', model_fallback: false });
    });

    it('BDI_STRICT_RECIPES=1 answers 404 model_not_found naming recipe, ROI and the paths looked at; the own recipe still works', async () => {
      const strict = await startTestApp({ BDI_STRICT_RECIPES: '1', BDI_JOBS_DB: path.join(t.modelsDir, '..', 'strict-jobs.sqlite') }, { modelsDir: t.modelsDir });
      try {
        const res = await infer(strict, TYPO, await discPng({ size: SEED_SIZE, seed: 1000 }));
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('model_not_found');
        expect(res.body.message).toContain(`'${TYPO}'`);
        expect(res.body.message).toContain(`'${SEED_ROI}'`);
        expect(res.body.details).toMatchObject({ recipe_id: TYPO, roi_id: SEED_ROI, role_id: SEED_ROLE });
        expect(res.body.details.paths_tried.memory[0]).toMatch(/^recipes\/typo-recipe\/roi-1\/.+\.npz$/);
        expect(res.body.details.refused_fallbacks[0]).toMatchObject({ kind: 'memory', source: 'default_recipe' });
        const state = await request(strict.server).get('/state').query({ recipe_id: TYPO, role_id: SEED_ROLE, roi_id: SEED_ROI });
        expect(state.body).toMatchObject({ memory_fitted: false, calib_present: false, reason: 'model_not_found', model_source: null });
        // Fitting the typo recipe from the default recipe's samples is a fallback too.
        const fit = await fitRequest(strict.server, { recipe: TYPO });
        expect(fit.status).toBe(404);
        expect(fit.body.code).toBe('model_not_found');
        expect(fit.body.details.refused_fallbacks[0]).toEqual({ kind: 'dataset', path: expect.stringMatching(/^recipes\/default\/datasets\//) });
        const own = await infer(strict, OWN, await discPng({ size: SEED_SIZE, seed: 1000 }));
        expect(own.status).toBe(200);
        expect(own.body.model_source).toBe('recipe');
      } finally {
        await strict.close();
      }
    });
  });

  describe('shapes are checked', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a circle entirely outside the crop', { kind: 'circle', cx: 500, cy: 500, r: 20 }, /does not overlap the 64x64 crop/],
      ['an unknown kind', { kind: 'ellipse', cx: 32, cy: 32, r: 20 }, /shape\.kind "ellipse" is not one of rect, circle, annulus/],
      ['a non-finite radius', { kind: 'circle', cx: 32, cy: 32, r: 'Infinity' }, /shape\.r must be a finite number/],
      ['a mask of a few pixels', { kind: 'circle', cx: 32, cy: 32, r: 1 }, /keeps \d+ pixel\(s\) of the 64x64 crop, fewer than the 64 needed/],
    ];
    it.each(cases)('refuses %s with 400 invalid_shape', async (_name, shape, message) => {
      const res = await infer(t, OWN, await discPng({ size: SEED_SIZE, seed: 1000 }), { shape: JSON.stringify(shape) });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_shape');
      expect(res.body.error).toMatch(message);
    });
    it('refuses a radius of 1e999 (JSON for infinity)', async () => {
      const res = await infer(t, OWN, await discPng({ size: SEED_SIZE, seed: 1000 }), { shape: '{"kind":"circle","cx":32,"cy":32,"r":1e999}' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_shape');
    });
  });

  describe('decision, regions and display agree', () => {
    afterAll(() => {
      // Back to the calibration of beforeAll for the other tests.
      fs.writeFileSync(calibFile, JSON.stringify({ threshold: 1.5, score_percentile: 99, area_mm2_thr: 1.0 }));
    });

    it('lists no regions as defects on an OK part just under the threshold, says how many exist, and never rounds', async () => {
      const png = await discPng({ size: SEED_SIZE, seed: 77, scratch: true });
      fs.writeFileSync(calibFile, JSON.stringify({ threshold: 1e-9, score_percentile: 99, area_mm2_thr: 0.04 }));
      const probe = await infer(t, OWN, png);
      const score: number = probe.body.score;
      expect(score).toBeGreaterThan(0);
      const threshold = score * 1.00016; // the 0.25467 vs 0.25471
      fs.writeFileSync(calibFile, JSON.stringify({ threshold, score_percentile: 99, area_mm2_thr: 0.04 }));
      const res = await infer(t, OWN, png);
      expect(res.status).toBe(200);
      expect(res.body.score).toBe(score);
      expect(res.body.threshold).toBe(threshold);
      expect(res.body.decision).toBe('ok');
      expect(res.body.regions).toEqual([]);
      expect(res.body.regions_above_area_threshold).toBeGreaterThan(0);

      fs.writeFileSync(calibFile, JSON.stringify({ threshold: score / 1.00016, score_percentile: 99, area_mm2_thr: 0.04 }));
      const ng = await infer(t, OWN, png);
      expect(ng.body.decision).toBe('ng');
      expect(ng.body.regions.length).toBe(ng.body.regions_above_area_threshold);
      expect(ng.body.regions.length).toBeGreaterThan(0);
    });
  });

  describe('messages tell the user what to do', () => {
    it('calibration_missing names the routes to run and the model', async () => {
      const roi = 'uncalibrated';
      expect((await uploadSamples(t.server, 'ok', 4, 1000, { recipe: OWN, roi })).status).toBe(200);
      expect((await fitRequest(t.server, { recipe: OWN, roi })).status).toBe(200);
      const res = await request(t.server)
        .post('/infer')
        .field('recipe_id', OWN)
        .field('role_id', SEED_ROLE)
        .field('roi_id', roi)
        .field('mm_per_px', '0.2')
        .attach('image', await discPng({ size: SEED_SIZE, seed: 1 }), { filename: 'roi.png', contentType: 'image/png' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('calibration_missing');
      expect(res.body.error).toBe(`calibration_missing: run /calibrate_dataset or /calibrate_ng for recipe '${OWN}', role '${SEED_ROLE}', ROI '${roi}' first`);
      expect(res.body.details).toMatchObject({ recipe_id: OWN, role_id: SEED_ROLE, roi_id: roi });
      expect(res.body.details.paths_tried.calib[0]).toMatch(/_calib\.json$/);
    });

    it('the memory-missing message keeps the GUI\'s exact text and adds recipe, role, ROI and the paths tried', async () => {
      const res = await request(t.server)
        .post('/infer')
        .field('recipe_id', 'other')
        .field('role_id', SEED_ROLE)
        .field('roi_id', 'never-fitted')
        .field('mm_per_px', '0.2')
        .attach('image', await discPng({ size: SEED_SIZE, seed: 1 }), { filename: 'roi.png', contentType: 'image/png' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('Memoria no encontrada. Ejecuta /fit_ok antes de /infer.');
      expect(res.body.details).toMatchObject({ recipe_id: 'other', role_id: SEED_ROLE, roi_id: 'never-fitted' });
      expect(res.body.details.paths_tried.memory).toEqual(
        expect.arrayContaining([expect.stringMatching(/^recipes\/other\/never-fitted\/.+\.npz$/), expect.stringMatching(/^recipes\/default\/never-fitted\/.+\.npz$/)]),
      );
    });

    it('413 states the limit', async () => {
      const small = await startTestApp({ BDI_MAX_UPLOAD_MB: '0.01' });
      try {
        const res = await request(small.server)
          .post('/infer')
          .field('role_id', SEED_ROLE)
          .field('roi_id', SEED_ROI)
          .field('mm_per_px', '0.2')
          .attach('image', Buffer.alloc(20_000, 1), { filename: 'big.png', contentType: 'image/png' });
        expect(res.status).toBe(413);
        expect(res.body.error).toBe("Payload too large: field 'image' exceeds the limit of 10486 bytes (BDI_MAX_UPLOAD_MB)");
        expect(res.body.details).toMatchObject({ field: 'image', limit_bytes: 10486 });
      } finally {
        await small.close();
      }
    });
  });
});
