// Production hardening over HTTP with the real engine: request limits, unsafe paths, back-pressure (503 for
// synchronous calls, queueing for jobs), a worker killed by its heap limit, and corrupt model artifacts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { circleShape, discPng } from './support/inspection-fixtures';
import { TERMINAL, sleep } from './support/jobs-client';
import { inferRequest, seedFittedModel, SeededModel, SEED_RECIPE, SEED_ROI, SEED_ROLE } from './support/model-seed';
import { startTestApp, TestApp } from './support/test-app';

const CONTRACT_KEYS = ['code', 'details', 'message', 'requestId'];
const LEGACY_KEYS = ['error', 'recipe_id', 'request_id'];
// Substrings the WPF GUI reads as "not fitted" / "no calibration" (src/inference/error-messages.spec.ts).
const GUI_SUBSTRINGS = ['memoria no encontrada', 'ejecuta /fit_ok', 'not fitted', 'memory not found', 'no embeddings', 'calibration_missing', 'calibration missing', 'no calibration'];

function expectInspectionError(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual([...CONTRACT_KEYS, ...LEGACY_KEYS].sort());
  expect(res.body.error).toBe(res.body.message);
}

function expectJobsError(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(Object.keys(res.body).sort()).toEqual(CONTRACT_KEYS);
}

async function noisePng(width: number, height: number, seed = 1): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < raw.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    raw[i] = s >>> 24;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

async function waitJob(t: TestApp, jobId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(t.server).get(`/jobs/${jobId}`);
    if (TERMINAL.includes(res.body.status as string)) return res.body as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${String(res.body.status)}`);
    await sleep(25);
  }
}

describe('hardening: request limits and unsafe paths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      BDI_MAX_UPLOAD_MB: '0.05', // 52 428 bytes
      BDI_MAX_IMAGE_PIXELS: '10000', // 100 × 100
      BDI_MAX_FILES_PER_UPLOAD: '3',
      BDI_MAX_CALIBRATION_SCORES: '5',
    });
  });
  afterAll(async () => t.close());

  it('answers 413 payload_too_large for a multipart file over BDI_MAX_UPLOAD_MB, writing nothing', async () => {
    const big = await noisePng(160, 160); // ~77 kB uncompressed PNG
    expect(big.length).toBeGreaterThan(t.config.server.maxUploadBytes);
    const upload = await request(t.server)
      .post('/datasets/ok/upload')
      .field('role_id', 'r')
      .field('roi_id', 'i')
      .attach('images', big, { filename: 'big.png', contentType: 'image/png' });
    expectInspectionError(upload, 413, 'payload_too_large');
    expect(fs.existsSync(path.join(t.modelsDir, 'recipes', 'default', 'datasets'))).toBe(false);
    const infer = await request(t.server).post('/infer').field('role_id', 'r').field('roi_id', 'i').field('mm_per_px', '0.2').attach('image', big, 'big.png');
    expectInspectionError(infer, 413, 'payload_too_large');
  });

  it('answers 413 too_many_files above BDI_MAX_FILES_PER_UPLOAD', async () => {
    let req = request(t.server).post('/datasets/ok/upload').field('role_id', 'r').field('roi_id', 'i');
    const png = await discPng({ size: 16 });
    for (let i = 0; i < 4; i++) req = req.attach('images', png, `s${i}.png`);
    const res = await req;
    expectInspectionError(res, 413, 'too_many_files');
    expect(res.body.details).toEqual({ max_files: 3 });
  });

  it('answers 400 image_too_large for an image above BDI_MAX_IMAGE_PIXELS on /infer and on /detect/objects', async () => {
    const wide = await discPng({ width: 101, height: 100 });
    const infer = await request(t.server).post('/infer').field('role_id', 'r').field('roi_id', 'i').field('mm_per_px', '0.2').attach('image', wide, 'w.png');
    expectInspectionError(infer, 400, 'image_too_large');
    expect(infer.body.details).toEqual({ width: 101, height: 100, max_pixels: 10000 });
    const detect = await request(t.server).post('/detect/objects').send({ imageBase64: wide.toString('base64') });
    expectJobsError(detect, 400, 'invalid_image_payload');
    expect(detect.body.message).toMatch(/pixel limit|exceeds/);
  });

  it('caps ok_scores / ng_scores at BDI_MAX_CALIBRATION_SCORES (nested arrays count their leaves)', async () => {
    const body = { role_id: 'r', roi_id: 'i', ok_scores: [1, [2, [3]], 4, 5, 6], ng_scores: [9] };
    const res = await request(t.server).post('/calibrate_ng').send(body);
    expectInspectionError(res, 422, 'validation_error');
    expect(res.body.details.errors).toEqual([{ loc: ['body', 'ok_scores'], field: 'ok_scores', message: 'At most 5 scores' }]);
    const ng = await request(t.server).post('/calibrate_ng').send({ ...body, ok_scores: [1], ng_scores: [1, 2, 3, 4, 5, 6, 7] });
    expect(ng.body.details.errors[0].field).toBe('ng_scores');
  });

  it('survives deeply nested score arrays without a stack overflow', async () => {
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const res = await request(t.server)
      .post('/calibrate_ng')
      .set('Content-Type', 'application/json')
      .send(`{"role_id":"r","roi_id":"i","ok_scores":${deep},"ng_scores":[]}`);
    expect(res.status).toBeLessThan(500);
    expect(res.status).toBe(200);
    expect(res.body.ok_mean).toBe(1);
  });

  it('refuses a symlink inside the models dir with unsafe_path and writes nothing through it', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-outside-'));
    try {
      fs.mkdirSync(path.join(t.modelsDir, 'recipes'), { recursive: true });
      fs.symlinkSync(outside, path.join(t.modelsDir, 'recipes', 'linked'));
      const state = await request(t.server).get('/state').query({ recipe_id: 'linked', role_id: 'r', roi_id: 'i' });
      expectInspectionError(state, 500, 'unsafe_path');
      expect(state.body.details).toEqual({ path: path.join('recipes', 'linked') });
      const upload = await request(t.server)
        .post('/datasets/ok/upload')
        .field('recipe_id', 'linked')
        .field('role_id', 'r')
        .field('roi_id', 'i')
        .attach('images', await discPng({ size: 16 }), 's.png');
      expectInspectionError(upload, 500, 'unsafe_path');
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(path.join(t.modelsDir, 'recipes', 'linked'), { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('answers 400 name_too_long for ids too long to be a file name, on reads and writes alike', async () => {
    const longId = 'x'.repeat(300); // base64url: 400 bytes > NAME_MAX 255
    const state = await request(t.server).get('/state').query({ role_id: 'r', roi_id: longId });
    expectInspectionError(state, 400, 'name_too_long');
    expect(state.body.details).toMatchObject({ max_bytes: 255 });
    const upload = await request(t.server).post('/datasets/ok/upload').field('role_id', longId).field('roi_id', 'i').attach('images', await discPng({ size: 16 }), 's.png');
    expectInspectionError(upload, 400, 'name_too_long');
  });

  it('keeps path tricks in ids and file names inside the models dir', async () => {
    const parent = path.dirname(t.modelsDir);
    const before = fs.readdirSync(parent).sort();
    const badRecipe = await request(t.server).get('/datasets/list').query({ recipe_id: '../../etc', role_id: 'r', roi_id: 'i' });
    expectInspectionError(badRecipe, 400, 'invalid_recipe_id');
    const upload = await request(t.server)
      .post('/datasets/ok/upload')
      .field('role_id', '../../../escape')
      .field('roi_id', '..')
      .attach('images', await discPng({ size: 16 }), '../../../../escape.png');
    expect(upload.status).toBe(200);
    expect(upload.body.saved[0]).toMatch(/^\d{8}-\d{6}-\d{6}\.png$/);
    const read = await request(t.server).get('/datasets/file').query({ role_id: '../../../escape', roi_id: '..', label: 'ok', filename: '../../recipe_meta.json' });
    expectInspectionError(read, 400, 'invalid_filename');
    expect(fs.readdirSync(parent).sort()).toEqual(before);
  });
});

describe('hardening: back-pressure with BDI_WORKERS=1, BDI_POOL_MAX_QUEUE=1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_WORKERS: '1', BDI_POOL_MAX_QUEUE: '1', JOBS_CONCURRENCY: '8', BDI_MIN_OK_SAMPLES: '2' });
    await seedFittedModel(t.server, t.modelsDir, 2);
  });
  afterAll(async () => t.close());

  it('answers a burst of synchronous /infer with 200 or 503 overloaded + Retry-After, never anything else', async () => {
    const png = await discPng({ size: 256, seed: 5 });
    const shape = circleShape(256);
    const responses = await Promise.all(Array.from({ length: 12 }, () => inferRequest(t.server, png, { shape })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    const rejected = responses.filter((r) => r.status === 503);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const r of rejected) {
      expectInspectionError(r, 503, 'overloaded');
      expect(r.headers['retry-after']).toBe('1');
      expect(r.body.details).toMatchObject({ maxQueue: 1 });
    }
  });

  it('answers a burst of synchronous /detect/objects with 200 or 503 overloaded + Retry-After', async () => {
    const frame = (await noisePng(900, 900)).toString('base64');
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(t.server).post('/detect/objects').send({ imageBase64: frame })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    for (const r of responses.filter((x) => x.status === 503)) {
      expectJobsError(r, 503, 'overloaded');
      expect(r.headers['retry-after']).toBe('1');
    }
  });

  it('queues a burst of infer and detect-objects jobs (8 running at once) and completes every one', async () => {
    const image = (await discPng({ size: 256, seed: 6 })).toString('base64');
    const frame = (await noisePng(600, 600)).toString('base64');
    const created = await Promise.all([
      ...Array.from({ length: 10 }, () =>
        request(t.server)
          .post('/jobs')
          .send({ task: 'infer', recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, imageBase64: image, shape: circleShape(256) }),
      ),
      ...Array.from({ length: 10 }, () => request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: frame })),
    ]);
    expect(created.map((r) => r.status)).toEqual(new Array(20).fill(200));
    const finals = await Promise.all(created.map((r) => waitJob(t, r.body.jobId as string)));
    expect(finals.map((j) => `${String(j.task)}:${String(j.status)}:${String(j.errorCode)}`)).toEqual([
      ...new Array(10).fill('infer:done:null'),
      ...new Array(10).fill('detect-objects:done:null'),
    ]);
  });
});

describe('hardening: a worker that exceeds BDI_WORKER_MAX_HEAP_MB', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_WORKERS: '1', BDI_WORKER_MAX_HEAP_MB: '48', BDI_MIN_OK_SAMPLES: '2' });
    await seedFittedModel(t.server, t.modelsDir, 2);
  });
  afterAll(async () => t.close());

  it('fails only that request with 500 worker_crashed; the replaced worker serves the next ones', async () => {
    const png = await discPng({ size: 64, seed: 7 });
    const ok = await inferRequest(t.server, png);
    expect(ok.status).toBe(200);
    const threadsBefore = (await request(t.server).get('/health')).body.workers as number;
    // A 12 MB ROI shape carrying 3 M tiny arrays (~170 MB of JS heap once parsed): structured-cloned into the
    // worker, it exceeds the 48 MB cap there. The main thread (no cap) parses it fine.
    const bloated = `{"kind":"circle","cx":32,"cy":32,"r":32,"pad":[${'[1],'.repeat(3_000_000)}[1]]}`;
    const crashed = await inferRequest(t.server, png, { shape: bloated });
    expectInspectionError(crashed, 500, 'worker_crashed');
    expect(crashed.body.details).toEqual({ task: 'infer' });
    const after = await Promise.all([inferRequest(t.server, png), inferRequest(t.server, png)]);
    expect(after.map((r) => r.status)).toEqual([200, 200]);
    expect(after[0].body.score).toBeCloseTo(ok.body.score as number, 6);
    expect((await request(t.server).get('/health/ready')).status).toBe(200);
    const health = await request(t.server).get('/health');
    expect({ ready: health.body.ready, workers: health.body.workers, model: typeof health.body.model }).toEqual({
      ready: true,
      workers: threadsBefore,
      model: 'string',
    });
  });
});

describe('hardening: corrupt model artifacts', () => {
  let t: TestApp;
  let model: SeededModel;
  let pristine: Record<'memory' | 'index' | 'calib', Buffer>;
  let clock = Date.now() / 1000 - 3600;

  /** Writes `bytes` and moves the mtime forward, so every cache keyed by mtime sees a new file. */
  function put(file: string, bytes: Buffer): void {
    fs.writeFileSync(file, bytes);
    clock += 10;
    fs.utimesSync(file, clock, clock);
  }

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '2' });
    model = await seedFittedModel(t.server, t.modelsDir, 2);
    pristine = {
      memory: fs.readFileSync(model.files.memory),
      index: fs.readFileSync(model.files.index),
      calib: fs.readFileSync(model.files.calib),
    };
  });
  afterEach(() => {
    for (const kind of ['memory', 'index', 'calib'] as const) put(model.files[kind], pristine[kind]);
  });
  afterAll(async () => t.close());

  const state = () => request(t.server).get('/state').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
  const rel = (kind: 'memory' | 'index' | 'calib') => path.relative(t.modelsDir, model.files[kind]);

  const cases: Array<{ name: string; kind: 'memory' | 'index' | 'calib'; corrupt: (b: Buffer) => Buffer; stateAfter: Record<string, unknown> }> = [
    { name: 'a truncated npz', kind: 'memory', corrupt: (b) => b.subarray(0, Math.floor(b.length / 2)), stateAfter: { memory_fitted: false, calib_present: true } },
    { name: 'a garbage npz', kind: 'memory', corrupt: (b) => Buffer.alloc(b.length, 0x5a), stateAfter: { memory_fitted: false, calib_present: true } },
    { name: 'a truncated FAISS index', kind: 'index', corrupt: (b) => b.subarray(0, Math.floor(b.length / 2)), stateAfter: { memory_fitted: true, calib_present: true } },
    { name: 'a garbage FAISS index', kind: 'index', corrupt: (b) => Buffer.alloc(b.length, 0x5a), stateAfter: { memory_fitted: true, calib_present: true } },
    { name: 'a broken calib JSON', kind: 'calib', corrupt: (b) => b.subarray(0, 7), stateAfter: { memory_fitted: true, calib_present: false } },
  ];

  for (const c of cases) {
    it(`answers 500 corrupt_artifact naming ${c.name}, keeps serving, and recovers when the file is restored`, async () => {
      const png = await discPng({ size: 64, seed: 8 });
      const good = await inferRequest(t.server, png);
      expect(good.status).toBe(200);
      put(model.files[c.kind], c.corrupt(pristine[c.kind]));

      const res = await inferRequest(t.server, png);
      expectInspectionError(res, 500, 'corrupt_artifact');
      expect(res.body.details.file).toBe(rel(c.kind));
      expect(res.body.message).toContain(rel(c.kind));
      const lower = String(res.body.message).toLowerCase();
      expect(GUI_SUBSTRINGS.filter((s) => lower.includes(s))).toEqual([]);

      const probe = await state();
      expect(probe.status).toBe(200);
      expect(probe.body).toMatchObject(c.stateAfter);
      if (c.kind !== 'index') expect(probe.body).toMatchObject({ reason: 'corrupt_artifact', corrupt_artifacts: [rel(c.kind)] });

      const job = await request(t.server)
        .post('/jobs')
        .send({ task: 'infer', recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, imageBase64: png.toString('base64') });
      expect(job.status).toBe(200);
      expect(await waitJob(t, job.body.jobId as string)).toMatchObject({ status: 'failed', errorCode: 'corrupt_artifact' });

      expect((await request(t.server).get('/health/live')).status).toBe(200);
      put(model.files[c.kind], pristine[c.kind]);
      const restored = await inferRequest(t.server, png);
      expect(restored.status).toBe(200);
      expect(restored.body.score).toBeCloseTo(good.body.score as number, 6);
    });
  }

  it('still answers a deleted memory with the GUI\'s "not fitted" 400 (only unreadable content is corrupt)', async () => {
    fs.rmSync(model.files.memory);
    const res = await inferRequest(t.server, await discPng({ size: 64, seed: 9 }));
    expectInspectionError(res, 400, 'memory_not_fitted');
    expect(res.body.message).toBe('Memoria no encontrada. Ejecuta /fit_ok antes de /infer.');
  });
});
