// The original backend's seven tests (reference §8.1) and its verified black-box scenarios (§8.2), adapted to the
// error contract of SPEC.md, with the real engine and the built-in backbone.
import { unzipSync } from 'fflate';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
import { baseName, discPng } from './support/inspection-fixtures';

describe('inspection contract (original tests and scenarios)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({});
  });
  afterAll(async () => t.close());

  async function seedOk(recipe: string, role: string, roi: string, count: number, label = 'ok', meta?: Record<string, unknown>): Promise<string> {
    const dir = path.join(t.modelsDir, 'recipes', recipe, 'datasets', baseName(role, roi), label);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const stem = `20240101-000000-${String(i).padStart(6, '0')}`;
      fs.writeFileSync(path.join(dir, `${stem}.png`), await discPng({ width: 32, height: 24, seed: i + 1, scratch: label === 'ng' }));
      if (meta) fs.writeFileSync(path.join(dir, `${stem}.json`), JSON.stringify(meta));
    }
    return dir;
  }

  function fitOk(fields: Record<string, string>, recipe?: string): request.Test {
    let req = request(t.server).post('/fit_ok');
    if (recipe) req = req.set('X-Recipe-Id', recipe);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req;
  }

  const masterPattern = { role_id: 'Master', roi_id: 'Pattern', mm_per_px: '0.25', memory_fit: 'false', use_dataset: 'true' };

  it('1. fit_ok persists the memory (npz with numpy dtypes + FAISS index)', async () => {
    await seedOk('default', 'Master', 'Pattern', 10);
    const res = await fitOk(masterPattern);
    expect(res.status).toBe(200);
    const [h, w] = res.body.token_shape;
    expect(res.body.n_embeddings).toBe(10 * h * w);
    expect(res.body.coreset_size).toBe(Math.ceil(res.body.n_embeddings * 0.1));
    expect(res.body.recipe_id).toBe('default');
    const npz = path.join(t.modelsDir, 'recipes', 'default', 'Pattern', `${baseName('Master', 'Pattern')}.npz`);
    const members = unzipSync(fs.readFileSync(npz));
    const header = (name: string) => Buffer.from(members[name].subarray(10, 80)).toString('latin1');
    expect(header('emb.npy')).toContain(`'descr': '<f4'`);
    expect(header('emb.npy')).toContain(`'shape': (${res.body.coreset_size}, `);
    expect(header('token_h.npy')).toContain(`'descr': '<i8'`);
    expect(header('token_w.npy')).toContain(`'descr': '<i8'`);
    expect(header('metadata.npy')).toMatch(/'descr': '<U\d+'/);
    // The map view's own memory (an extra member the original's loader ignores), a coreset at half the rate.
    expect(header('emb_map.npy')).toContain(`'descr': '<f4'`);
    expect(header('emb_map.npy')).toContain(`'shape': (${Math.ceil(res.body.n_embeddings * 0.05)}, `);
    // The context view's: one row every 2 patches each way, a coreset at twice the rate.
    expect(header('emb_ctx.npy')).toContain(`'descr': '<f4'`);
    expect(header('emb_ctx.npy')).toContain(`'shape': (${Math.ceil(10 * Math.ceil(h / 2) * Math.ceil(w / 2) * 0.2)}, `);
    expect(fs.existsSync(npz.replace(/\.npz$/, '_index.faiss'))).toBe(true);
  });

  it('2. fit_ok requires the minimum number of OK samples', async () => {
    await seedOk('default', 'Master', 'Nine', 9);
    const res = await fitOk({ ...masterPattern, roi_id: 'Nine' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'insufficient_ok_samples', error: 'Insufficient OK samples: need at least 10, found 9' });
  });

  it('3. a dataset upload locks mm_per_px and a later fit with another value is a 409 (before the sample count check)', async () => {
    const up = await request(t.server)
      .post('/datasets/ok/upload')
      .set('X-Recipe-Id', 'lockcase')
      .field('role_id', 'Master')
      .field('roi_id', 'Pattern')
      .field('metas', JSON.stringify({ mm_per_px: 0.2 }))
      .attach('images', await discPng({ size: 32 }), 'a.png');
    expect(up.status).toBe(200);
    const res = await fitOk(masterPattern, 'lockcase');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'mm_per_px_mismatch', recipe_id: 'lockcase' });
    expect(res.body.error).toBe("mm_per_px mismatch for recipe 'lockcase': expected 0.2, got 0.25");
  });

  it('4. calibrate_ng persists the calibration file', async () => {
    const res = await request(t.server)
      .post('/calibrate_ng')
      .send({ role_id: 'Master', roi_id: 'Pattern', mm_per_px: 0.2, ok_scores: [10, 11, 13], ng_scores: [22], score_percentile: 99, area_mm2_thr: 1.0 });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['threshold', 'ok_mean', 'ng_mean', 'p99_ok', 'p5_ng', 'mm_per_px', 'area_mm2_thr', 'score_percentile', 'request_id', 'recipe_id']);
    expect(res.body.threshold).toBeCloseTo(17.48, 10);
    expect(res.body.ok_mean).toBeCloseTo(11.3333333333, 8);
    expect(res.body).toMatchObject({ ng_mean: 22, p5_ng: 22, score_percentile: 99 });
    const file = path.join(t.modelsDir, 'recipes', 'default', 'Pattern', `${baseName('Master', 'Pattern')}_calib.json`);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('"area_mm2_thr": 1.0');
    expect(text).toContain('"ng_mean": 22.0');
    expect(text).toContain('"score_percentile": 99,');
  });

  it('5. calibrate_ng accepts null ng_scores', async () => {
    const res = await request(t.server).post('/calibrate_ng').send({ role_id: 'Master', roi_id: 'Null', ok_scores: [10, 11, 13], ng_scores: null });
    expect(res.status).toBe(200);
    expect(res.body.threshold).toBeCloseTo(12.96, 10);
    expect(res.body).toMatchObject({ ng_mean: 0, p5_ng: null });
  });

  it('6. X-Recipe-Id "last" makes /health a 400', async () => {
    const res = await request(t.server).get('/health').set('X-Recipe-Id', 'last');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_recipe_id');
    expect(res.body.error).toContain('reserved');
  });

  it('7. recipe_id "last" in a calibrate_ng body is a 400', async () => {
    const res = await request(t.server).post('/calibrate_ng').send({ recipe_id: 'last', reason: 'test' });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('reserved');
    expect(res.body.recipe_id).toBe('default');
  });

  describe('fit_ok checks', () => {
    it('is dataset-only by default', async () => {
      const res = await fitOk({ role_id: 'A', roi_id: 'B', mm_per_px: '0.2' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('Training only supported from dataset (use_dataset=true) in this deployment.');
    });

    it.each(['0', 'nan', '-1', 'inf'])('rejects mm_per_px=%s', async (mm) => {
      const res = await fitOk({ role_id: 'A', roi_id: 'B', mm_per_px: mm, use_dataset: 'true' }, 'mmcheck');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_mm_per_px', error: 'mm_per_px must be > 0 and finite' });
    });

    it('answers 422 for an empty required field, an unparsable float and a non-boolean word', async () => {
      for (const fields of <Array<Record<string, string>>>[
        { role_id: '', roi_id: 'B', mm_per_px: '0.2' },
        { role_id: 'A', roi_id: 'B', mm_per_px: '0,2' },
        { role_id: 'A', roi_id: 'B', mm_per_px: '0.2', use_dataset: 'maybe' },
      ]) {
        const res = await fitOk(fields);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_error');
        expect(res.body.details.errors.length).toBeGreaterThan(0);
      }
    });

    it('creates the recipe lock even when no OK sample exists', async () => {
      const res = await fitOk({ role_id: 'A', roi_id: 'B', mm_per_px: '0.2', use_dataset: 'yes' }, 'emptyrecipe');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'no_ok_samples', error: 'No OK dataset samples found' });
      expect(fs.existsSync(path.join(t.modelsDir, 'recipes', 'emptyrecipe', 'recipe_meta.json'))).toBe(true);
    });

    it('keeps every patch with memory_fit', async () => {
      await seedOk('memfit', 'Master', 'Pattern', 10);
      const res = await fitOk({ ...masterPattern, memory_fit: 'TRUE' }, 'memfit');
      expect(res.status).toBe(200);
      expect(res.body.coreset_size).toBe(res.body.n_embeddings);
      expect(res.body.coreset_rate_requested).toBe(1);
      expect(res.body.coreset_rate_applied).toBe(1);
    });

    it('answers OPTIONS /fit_ok with a non-404', async () => {
      expect((await request(t.server).options('/fit_ok')).status).toBe(405);
      expect((await request(t.server).options('/calibrate_ng')).status).toBe(405);
    });
  });

  describe('/infer order of checks (model and calibration of test 1 and 4)', () => {
    function infer(fields: Record<string, string>, image?: Buffer, recipe?: string): request.Test {
      let req = request(t.server).post('/infer');
      if (recipe) req = req.set('X-Recipe-Id', recipe);
      for (const [k, v] of Object.entries({ role_id: 'Master', roi_id: 'Pattern', mm_per_px: '0.25', ...fields })) req = req.field(k, v);
      if (image) req = req.attach('image', image, 'roi.png');
      return req;
    }

    it('checks the mm lock first, then the image, then the shape', async () => {
      expect((await infer({ mm_per_px: '0.3' }, Buffer.from('not an image'))).status).toBe(409);
      const bad = await infer({}, Buffer.from('not an image'));
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'invalid_image', error: 'No se pudo decodificar la imagen' });
      const shape = await infer({ shape: '{bad' }, await discPng({ width: 32, height: 24 }));
      expect(shape.status).toBe(400);
      expect(shape.body.code).toBe('invalid_json_field');
      const rect = await infer({ shape: JSON.stringify({ kind: 'rect', w: '10.5' }) }, await discPng({ width: 32, height: 24 }));
      expect(rect.status).toBe(400);
      expect(rect.body.code).toBe('invalid_shape');
      expect((await infer({})).status).toBe(422);
    });

    it('scores with a valid request (score never null, decision present)', async () => {
      const res = await infer({ shape: JSON.stringify({ kind: 'rect', x: 0, y: 0, w: 32, h: 24 }) }, await discPng({ width: 32, height: 24, seed: 3 }));
      expect(res.status).toBe(200);
      expect(typeof res.body.score).toBe('number');
      expect(['ok', 'ng']).toContain(res.body.decision);
      expect(res.body.token_shape).toHaveLength(2);
    });

    it('falls back to the default recipe artifacts and locks the new recipe', async () => {
      const res = await infer({}, await discPng({ width: 32, height: 24, seed: 4 }), 'recipex');
      expect(res.status).toBe(200);
      expect(res.body.recipe_id).toBe('recipex');
      const lock = JSON.parse(fs.readFileSync(path.join(t.modelsDir, 'recipes', 'recipex', 'recipe_meta.json'), 'utf8'));
      expect(lock.mm_per_px).toBe(0.25);
    });
  });

  describe('/infer_dataset and /calibrate_dataset', () => {
    it('needs a memory and a calibration', async () => {
      const none = await request(t.server).post('/infer_dataset').send({ role_id: 'Nobody', roi_id: 'Nothing' });
      expect(none.status).toBe(400);
      expect(none.body.error).toBe('Memoria no encontrada. Ejecuta /fit_ok antes de /infer_dataset.');
      const noCal = await request(t.server).post('/calibrate_dataset').send({ role_id: 'Nobody', roi_id: 'Nothing' });
      expect(noCal.body.error).toBe('Memoria no encontrada. Ejecuta /fit_ok antes de /calibrate_dataset.');
      // memfit's own calibration (threshold 0) wins over default's: a threshold that is not > 0 means "not calibrated".
      fs.writeFileSync(path.join(t.modelsDir, 'recipes', 'memfit', 'Pattern', `${baseName('Master', 'Pattern')}_calib.json`), '{"threshold": 0.0}');
      const uncalibrated = await request(t.server).post('/infer_dataset').set('X-Recipe-Id', 'memfit').send({ role_id: 'Master', roi_id: 'Pattern' });
      expect(uncalibrated.status).toBe(400);
      expect(uncalibrated.body.error).toMatch(/^calibration_missing: run \/calibrate_dataset or \/calibrate_ng for recipe 'memfit'/);
    });

    it('reports per-item errors and skips unknown labels', async () => {
      const res = await request(t.server).post('/infer_dataset').send({ role_id: 'Master', roi_id: 'Pattern' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', n_total: 10, n_errors: 10, model_key: 'Pattern' });
      expect(res.body.items[0]).toMatchObject({ label: 'ok', score: null, mm_per_px: null, error: 'mm_per_px missing and default_mm_per_px not provided' });
      const withDefault = await request(t.server).post('/infer_dataset').send({ role_id: 'Master', roi_id: 'Pattern', default_mm_per_px: 0.25 });
      expect(withDefault.body).toMatchObject({ n_total: 10, n_errors: 0 });
      expect(withDefault.body.items.every((i: { heatmap_png_base64?: string }) => !('heatmap_png_base64' in i))).toBe(true);
      const ko = await request(t.server).post('/infer_dataset').send({ role_id: 'Master', roi_id: 'Pattern', labels: ['ko'] });
      expect(ko.body.n_total).toBe(0);
      const invalidMm = await request(t.server).post('/infer_dataset').send({ role_id: 'Master', roi_id: 'Pattern', default_mm_per_px: -1 });
      expect(invalidMm.body.items[0].error).toBe('400: mm_per_px must be > 0 and finite');
    });

    it('requires NG samples unless require_ng is false, and valid OK samples', async () => {
      const noNg = await request(t.server).post('/calibrate_dataset').send({ role_id: 'Master', roi_id: 'Pattern', default_mm_per_px: 0.25 });
      expect(noNg.status).toBe(400);
      expect(noNg.body.error).toBe('No NG samples available for calibration.');
      const noMm = await request(t.server).post('/calibrate_dataset').send({ role_id: 'Master', roi_id: 'Pattern' });
      expect(noMm.body.error).toBe('No valid OK samples for calibration.');
      const ok = await request(t.server).post('/calibrate_dataset').send({ role_id: 'Master', roi_id: 'Pattern', default_mm_per_px: 0.25, require_ng: false });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'ok', n_ok: 10, n_ng: 0, score_percentile: 99, area_mm2_thr: 1 });
    });
  });

  it('/manifest names the sanitised model key and empty artifacts', async () => {
    const res = await request(t.server).get('/manifest').query({ role_id: 'Master', roi_id: 'Pattern', model_key: 'a b/c' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_key: 'a_b_c', memory: false, calib: null, recipe_id: 'default' });
    expect(res.body.datasets.classes.ok.count).toBe(10);
    const fitted = await request(t.server).get('/manifest').query({ role_id: 'Master', roi_id: 'Pattern' });
    expect(fitted.body.memory).toBe(true);
    expect(fitted.body.calib.threshold).toBeGreaterThan(0);
  });
});
