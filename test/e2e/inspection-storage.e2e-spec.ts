// Models directories laid out by the original (flat and dir legacy names, Python-float calib JSON), token-grid
// checks, serialised concurrent fits, and the inspection job tasks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { modelVersionOf } from '../../src/engine/model-version';
import { decodeMemoryNpz, encodeMemoryNpz } from '../../src/engine/npz';
import { startTestApp, TestApp } from './support/test-app';
import { baseName, discPng } from './support/inspection-fixtures';

describe('inspection storage', () => {
  let t: TestApp;
  let modelDir: string;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '3' });
    const dir = path.join(t.modelsDir, 'recipes', 'default', 'datasets', baseName('Master', 'Pattern'), 'ok');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(dir, `20240101-000000-00000${i}.png`), await discPng({ size: 32, seed: i + 1 }));
    modelDir = path.join(t.modelsDir, 'recipes', 'default', 'Pattern');
  });
  afterAll(async () => t.close());

  const fit = () =>
    request(t.server).post('/fit_ok').field('role_id', 'Master').field('roi_id', 'Pattern').field('mm_per_px', '0.2').field('use_dataset', 'true');

  it('serialises concurrent fits of one model: both succeed and leave valid files', async () => {
    const [a, b] = await Promise.all([fit(), fit()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const base = baseName('Master', 'Pattern');
    expect(fs.readdirSync(modelDir).sort()).toEqual([`${base}.npz`, `${base}_index.faiss`, `${base}_version.json`]);
    const npzBytes = fs.readFileSync(path.join(modelDir, `${base}.npz`));
    const npz = decodeMemoryNpz(npzBytes, 'x');
    expect(npz.m).toBe(a.body.coreset_size);
    // The content version every worker keys its loaded model on: the SHA-256 of the npz that is in place.
    const sidecar = JSON.parse(fs.readFileSync(path.join(modelDir, `${base}_version.json`), 'utf8')) as { version: string };
    expect(sidecar.version).toBe(modelVersionOf(npzBytes));
  });

  it('serves a models directory written by the original (flat legacy names, Python floats)', async () => {
    const base = baseName('Master', 'Pattern');
    // The original's flat layout: <legacy(role)>_<legacy(roi)>{.npz,_index.faiss,_calib.json} at the root.
    const memory = decodeMemoryNpz(fs.readFileSync(path.join(modelDir, `${base}.npz`)), 'x');
    // The rows come from this service's fit, so they keep its detector profile (position channels included); the
    // layout and the calib's Python floats are what this test is about.
    fs.writeFileSync(
      path.join(t.modelsDir, 'Legacy_Roi_1.npz'),
      encodeMemoryNpz({ ...memory, metadata: { detector_profile: memory.metadata.detector_profile, coreset_rate: 0.1, applied_rate: 0.1 } }),
    );
    fs.copyFileSync(path.join(modelDir, `${base}_index.faiss`), path.join(t.modelsDir, 'Legacy_Roi_1_index.faiss'));
    fs.writeFileSync(
      path.join(t.modelsDir, 'Legacy_Roi_1_calib.json'),
      '{\n  "threshold": 0.5,\n  "ok_mean": 1.0,\n  "ng_mean": 0.0,\n  "p99_ok": 0.5,\n  "p5_ng": NaN,\n  "mm_per_px": 0.2,\n  "area_mm2_thr": 1.0,\n  "score_percentile": 99\n}',
    );
    // The dir legacy layout for another ROI: <role>/<roi>/{memory.npz,index.faiss,calib.json}.
    fs.mkdirSync(path.join(t.modelsDir, 'Legacy', 'Roi_2'), { recursive: true });
    fs.copyFileSync(path.join(t.modelsDir, 'Legacy_Roi_1.npz'), path.join(t.modelsDir, 'Legacy', 'Roi_2', 'memory.npz'));
    fs.copyFileSync(path.join(t.modelsDir, 'Legacy_Roi_1_index.faiss'), path.join(t.modelsDir, 'Legacy', 'Roi_2', 'index.faiss'));
    fs.writeFileSync(path.join(t.modelsDir, 'Legacy', 'Roi_2', 'calib.json'), '{"threshold": 2.0, "score_percentile": 95, "area_mm2_thr": 1.0}');

    for (const roi of ['Roi 1', 'Roi_2']) {
      const state = await request(t.server).get('/state').set('X-Recipe-Id', 'oldrecipe').query({ role_id: 'Legacy', roi_id: roi });
      expect(state.body).toMatchObject({ memory_fitted: true, calib_present: true, recipe_id: 'oldrecipe' });
      const res = await request(t.server)
        .post('/infer')
        .set('X-Recipe-Id', 'oldrecipe')
        .field('role_id', 'Legacy')
        .field('roi_id', roi)
        .field('mm_per_px', '0.2')
        .attach('image', await discPng({ size: 32, seed: 9 }), 'roi.png');
      expect(res.status).toBe(200);
      expect(res.body.threshold).toBe(roi === 'Roi 1' ? 0.5 : 2.0);
    }
    // Nothing was written into the legacy places.
    expect(fs.readdirSync(path.join(t.modelsDir, 'Legacy', 'Roi_2')).sort()).toEqual(['calib.json', 'index.faiss', 'memory.npz']);
  });

  it('asks for a re-fit (without the GUI\'s "not fitted" wording) when the memory has another token grid', async () => {
    const dim = decodeMemoryNpz(fs.readFileSync(path.join(modelDir, `${baseName('Master', 'Pattern')}.npz`)), 'x').dim;
    const emb = new Float32Array(4 * dim).fill(1 / Math.sqrt(dim));
    const dir = path.join(t.modelsDir, 'recipes', 'default', 'Grid');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${baseName('Master', 'Grid')}.npz`), encodeMemoryNpz({ emb, dim, tokenH: 2, tokenW: 2, metadata: {} }));
    fs.writeFileSync(path.join(dir, `${baseName('Master', 'Grid')}_calib.json`), '{"threshold": 1.0}');
    const res = await request(t.server)
      .post('/infer')
      .field('role_id', 'Master')
      .field('roi_id', 'Grid')
      .field('mm_per_px', '0.2')
      .attach('image', await discPng({ size: 32 }), 'roi.png');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('token_grid_mismatch');
    expect(res.body.error).toMatch(/re-fit/);
    expect(res.body.error.toLowerCase()).not.toMatch(/not fitted|memoria no encontrada|run fit first|missing fit/);
  });

  it('runs the inspection operations as jobs with the same results as the routes', async () => {
    const create = await request(t.server).post('/jobs').send({ task: 'fit-ok', role_id: 'Master', roi_id: 'Pattern', mm_per_px: 0.2, use_dataset: true });
    expect(create.status).toBe(200);
    const id = create.body.jobId;
    let job: request.Response | undefined;
    for (let i = 0; i < 100; i++) {
      job = await request(t.server).get(`/jobs/${id}`);
      if (!['pending', 'running'].includes(job.body.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.body.status).toBe('done');
    const result = await request(t.server).get(`/jobs/${id}/result`);
    expect(result.body.result ?? result.body).toMatchObject({ recipe_id: 'default', token_shape: expect.any(Array) });
  });
});
