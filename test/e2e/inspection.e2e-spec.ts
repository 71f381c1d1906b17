// A GUI-like inspection session over HTTP with the real engine: upload samples with metas → fit from the dataset →
// calibrate from the dataset → infer OK and NG crops with a circle mask.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { readDiagnostics, startTestApp, TestApp } from './support/test-app';
import { buildRoiMask } from '../../src/engine/roi-mask';
import { baseName, circleShape, discPng } from './support/inspection-fixtures';

const SIZE = 64;
const ROLE = 'Inspection';
const ROI = 'inspection-1';
const RECIPE_HEADER = 'DefaultLayout';
const RECIPE = 'defaultlayout';

describe('inspection: a GUI session from samples to decisions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '4' });
  });
  afterAll(async () => t.close());

  async function upload(label: 'ok' | 'ng', png: Buffer, meta: Record<string, unknown>): Promise<request.Response> {
    return request(t.server)
      .post(`/datasets/${label}/upload`)
      .set('X-Recipe-Id', RECIPE_HEADER)
      .field('role_id', ROLE)
      .field('roi_id', ROI)
      .attach('images', png, { filename: 'sample_20240101.png', contentType: 'image/png' })
      .field('metas', JSON.stringify(meta), { contentType: 'application/json' } as never);
  }

  function infer(png: Buffer, extra: Record<string, string> = {}): request.Test {
    let req = request(t.server)
      .post('/infer')
      .set('X-Recipe-Id', RECIPE_HEADER)
      .field('role_id', ROLE)
      .field('roi_id', ROI)
      .field('mm_per_px', '0.2')
      .field('model_key', ROI)
      .field('shape', circleShape(SIZE))
      .attach('image', png, { filename: 'roi_1.png', contentType: 'image/png' });
    for (const [k, v] of Object.entries(extra)) req = req.field(k, v);
    return req;
  }

  it('runs the whole session', async () => {
    const meta = { mm_per_px: 0.2, shape_json: circleShape(SIZE), filename: 'sample_gui.png', angle: null, timestamp: null };
    for (let i = 0; i < 6; i++) expect((await upload('ok', await discPng({ seed: 100 + i }), meta)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await upload('ng', await discPng({ seed: 200 + i, scratch: true }), meta)).status).toBe(200);

    const list = await request(t.server).get('/datasets/list').set('X-Recipe-Id', RECIPE_HEADER).query({ role_id: ROLE, roi_id: ROI });
    expect(list.status).toBe(200);
    expect(list.body.classes.ok.count).toBe(6);
    expect(list.body.classes.ng.count).toBe(2);
    expect(list.body.recipe_id).toBe(RECIPE);

    const before = await request(t.server).get('/state').set('X-Recipe-Id', RECIPE_HEADER).query({ role_id: ROLE, roi_id: ROI, model_key: ROI });
    expect(before.body).toMatchObject({ status: 'ok', memory_fitted: false, calib_present: false, recipe_id: RECIPE, model_key: ROI });

    const notFitted = await infer(await discPng({ seed: 300 }));
    expect(notFitted.status).toBe(400);
    expect(notFitted.body.error).toBe('Memoria no encontrada. Ejecuta /fit_ok antes de /infer.');

    const fit = await request(t.server)
      .post('/fit_ok')
      .set('X-Recipe-Id', RECIPE_HEADER)
      .field('role_id', ROLE)
      .field('roi_id', ROI)
      .field('mm_per_px', '0.2')
      .field('memory_fit', 'false')
      .field('model_key', ROI)
      .field('use_dataset', 'true');
    expect(fit.status).toBe(200);
    const [th, tw] = fit.body.token_shape;
    expect(fit.body.n_embeddings).toBe(6 * th * tw);
    expect(fit.body.coreset_size).toBe(Math.ceil(fit.body.n_embeddings * 0.1));
    expect(fit.body.coreset_rate_requested).toBeCloseTo(0.1);
    expect(fit.body.coreset_rate_applied).toBeCloseTo(fit.body.coreset_size / fit.body.n_embeddings, 12);
    const modelDir = path.join(t.modelsDir, 'recipes', RECIPE, ROI);
    const base = baseName(ROLE, ROI);
    expect(fs.existsSync(path.join(modelDir, `${base}.npz`))).toBe(true);
    expect(fs.existsSync(path.join(modelDir, `${base}_index.faiss`))).toBe(true);

    const fitted = await request(t.server).get('/state').set('X-Recipe-Id', RECIPE_HEADER).query({ role_id: ROLE, roi_id: ROI, model_key: ROI });
    expect(fitted.body).toMatchObject({ memory_fitted: true, calib_present: false });

    // Self-tuning ran on the 6 OK samples (2 held out, 4 synthetic defects); /manifest shows what it chose.
    const manifest = await request(t.server).get('/manifest').set('X-Recipe-Id', RECIPE_HEADER).query({ role_id: ROLE, roi_id: ROI, model_key: ROI });
    const { detector } = manifest.body;
    expect(detector.summary).toBe(fit.body.detector_profile);
    expect(detector.profile.input.mode).toMatch(/^(letterbox|aspect)$/);
    expect(detector.profile.features.weights).toHaveLength(3); // pixel, gabor, tone blocks of the built-in backbone
    expect(detector.tuning).toMatchObject({ tuned: true, heldOutImages: 2, syntheticDefects: 4, memoryImages: 4 });
    expect(detector.tuning.chosen.objective).toBeGreaterThanOrEqual(detector.tuning.baseline.objective - 0.02); // MIN_GAIN
    // The tuner rates the score view; the fit adds the map view with its learned floors and scale, and the context
    // view's gain, scale and OK level.
    expect(fit.body.detector_profile.startsWith(detector.tuning.chosen.profile)).toBe(true);
    expect(fit.body.detector_profile.slice(detector.tuning.chosen.profile.length)).toMatch(
      /^ · map view energy-aware, weights [\d./]+, floors ×4 noise, scale [\d.]+, blend (0\.5|1) · context 15×15 step 2, gain [\d.]+, scale [\d.]+, level [\d.]+$/,
    );
    expect(detector.profile.mapView.features.floors.every((f: number) => f > 0)).toBe(true);
    expect(detector.profile.contextView).toEqual({ window: 15, stride: 2, gain: expect.any(Number), scale: expect.any(Number), level: expect.any(Number) });
    expect(detector.profile.contextView.scale).toBeGreaterThan(0);

    const noCalib = await infer(await discPng({ seed: 300 }));
    expect(noCalib.status).toBe(400);
    expect(noCalib.body).toMatchObject({ code: 'calibration_missing', recipe_id: RECIPE });
    expect(noCalib.body.error).toMatch(/^calibration_missing: run \/calibrate_dataset or \/calibrate_ng for recipe 'defaultlayout'/);

    const calib = await request(t.server)
      .post('/calibrate_dataset')
      .set('X-Recipe-Id', RECIPE_HEADER)
      .send({ role_id: ROLE, roi_id: ROI, default_mm_per_px: 0.2 });
    expect(calib.status).toBe(200);
    expect(calib.body).toMatchObject({ status: 'ok', n_ok: 6, n_ng: 2, score_percentile: 99, role_id: ROLE, roi_id: ROI, model_key: ROI });
    expect(calib.text).toMatch(/"score_percentile":99[,}]/);
    expect(calib.body.threshold).toBeGreaterThan(0);
    const calibFile = JSON.parse(fs.readFileSync(path.join(modelDir, `${base}_calib.json`), 'utf8'));
    expect(Object.keys(calibFile)).toEqual(['threshold', 'score_percentile', 'area_mm2_thr', 'recipe_id', 'role_id', 'roi_id', 'model_key', 'created_at_utc']);

    const ok = await infer(await discPng({ seed: 301 }));
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual([
      'score', 'threshold', 'token_shape', 'heatmap_png_base64', 'heatmap_scale', 'regions', 'request_id', 'recipe_id', 'decision',
      'regions_above_area_threshold', 'model_source', 'model_fallback', 'model_artifacts',
    ]);
    expect(ok.body).toMatchObject({ model_source: 'recipe', model_fallback: false });
    expect(ok.body.decision).toBe('ok');
    expect(ok.body.heatmap_png_base64).toBeNull();
    expect(ok.body.heatmap_scale).toBeNull();

    const ng = await infer(await discPng({ seed: 302, scratch: true }));
    expect(ng.status).toBe(200);
    expect(ng.body.score).toBeGreaterThan(ok.body.score);
    expect(ng.body.decision).toBe('ng');
    expect(ng.body.regions.length).toBeGreaterThan(0);
    for (const region of ng.body.regions) {
      expect(Object.keys(region)).toEqual(['bbox', 'area_px', 'area_mm2', 'contour', 'x', 'y', 'w', 'h']);
      expect([region.x, region.y, region.w, region.h]).toEqual(region.bbox);
    }
    const heatmap = Buffer.from(ng.body.heatmap_png_base64, 'base64');
    const pngInfo = await sharp(heatmap).metadata();
    expect([pngInfo.format, pngInfo.width, pngInfo.height, pngInfo.channels, pngInfo.depth]).toEqual(['png', SIZE, SIZE, 1, 'uchar']);
    const data = await sharp(heatmap).extractChannel(0).raw().toBuffer();
    for (const [x, y] of [[0, 0], [SIZE - 1, 0], [0, SIZE - 1], [SIZE - 1, SIZE - 1]]) expect(data[y * SIZE + x]).toBe(0);
    expect(Math.max(...data)).toBeGreaterThan(0);
    // The GUI's default scale: this map's own stretch, with its legend.
    const threshold = ng.body.threshold;
    expect(ng.body.heatmap_scale).toMatchObject({ mode: 'image', threshold });
    const { min, max } = ng.body.heatmap_scale;
    expect(max).toBeGreaterThan(min);
    expect(ng.body.heatmap_scale.threshold_level).toBeCloseTo((threshold - min) / (max - min), 12);

    const okWithHeatmap = await infer(await discPng({ seed: 301 }), { include_heatmap: 'true' });
    expect(okWithHeatmap.body.decision).toBe('ok');
    expect(typeof okWithHeatmap.body.heatmap_png_base64).toBe('string');
    const ngWithout = await infer(await discPng({ seed: 302, scratch: true }), { include_heatmap: 'off' });
    expect(ngWithout.body.heatmap_png_base64).toBeNull();

    // The absolute scale: 0 .. 2 × threshold for every image, the threshold at gray 128. On the per-image scale the
    // clean part's map is as hot as the scratched one's; on the absolute scale only the scratched part's is hot.
    const mask = buildRoiMask(SIZE, SIZE, JSON.parse(circleShape(SIZE)));
    const inMask = async (b64: string) => {
      const gray = await sharp(Buffer.from(b64, 'base64')).extractChannel(0).raw().toBuffer();
      return [...gray].filter((_, i) => mask[i] > 0);
    };
    const hotShare = (values: number[]) => values.filter((v) => v >= 128).length / values.length;
    const okAbs = await infer(await discPng({ seed: 301 }), { include_heatmap: 'true', heatmap_scale: 'absolute' });
    const ngAbs = await infer(await discPng({ seed: 302, scratch: true }), { heatmap_scale: 'Absolute' });
    for (const res of [okAbs, ngAbs]) {
      expect(res.status).toBe(200);
      expect(res.body.heatmap_scale).toEqual({ mode: 'absolute', min: 0, max: 2 * threshold, threshold, threshold_level: 0.5 });
    }
    expect(Math.max(...(await inMask(okWithHeatmap.body.heatmap_png_base64)))).toBe(255);
    // score = 99th percentile of the map: below the threshold, under 1 % of the OK map reaches 128; at or above it,
    // at least 1 % of the NG map does.
    expect(hotShare(await inMask(okAbs.body.heatmap_png_base64))).toBeLessThan(0.01);
    expect(hotShare(await inMask(ngAbs.body.heatmap_png_base64))).toBeGreaterThanOrEqual(0.01);
    const bogus = await infer(await discPng({ seed: 301 }), { heatmap_scale: 'log' });
    expect(bogus.status).toBe(422);
    expect(bogus.body.details.errors).toEqual([{ loc: ['body', 'heatmap_scale'], field: 'heatmap_scale', message: "Input should be 'image' or 'absolute'" }]);

    const dataset = await request(t.server)
      .post('/infer_dataset')
      .set('X-Recipe-Id', RECIPE_HEADER)
      .send({ role_id: ROLE, roi_id: ROI, include_heatmap: true, heatmap_scale: 'absolute' });
    expect(dataset.status).toBe(200);
    expect(dataset.body).toMatchObject({ status: 'ok', n_total: 8, n_errors: 0, recipe_id: RECIPE, model_key: ROI });
    const item = dataset.body.items.find((i: { label: string }) => i.label === 'ng');
    expect(Object.keys(item)).toEqual(['label', 'filename', 'mm_per_px', 'score', 'threshold', 'regions', 'n_regions', 'error', 'decision', 'regions_above_area_threshold', 'heatmap_png_base64', 'heatmap_scale']);
    expect(item.heatmap_scale).toEqual({ mode: 'absolute', min: 0, max: 2 * threshold, threshold, threshold_level: 0.5 });
    for (const region of item.regions) expect(Object.keys(region)).toEqual(['bbox', 'area_px', 'area_mm2', 'contour']);

    const events = readDiagnostics(t.logDir).map((e) => e.event);
    for (const name of ['datasets.upload.request', 'datasets.upload.response', 'datasets.list.response', 'fit_ok.request', 'fit_ok.dataset', 'fit_ok.response', 'infer.request', 'infer.probe', 'infer.not_fitted', 'infer.calibration_missing', 'infer.response', 'state.request', 'state.response', 'calibrate.saved']) {
      expect(events).toContain(name);
    }
    const fitEvent = readDiagnostics(t.logDir).find((e) => e.event === 'fit_ok.response');
    expect(fitEvent).toMatchObject({ recipe_id: RECIPE, role_id: ROLE, roi_id: ROI, request_id: fit.headers['x-request-id'] });
  }, 120000);
});
