// kill -9 of the real service (a child process running the compiled dist/src/main.js) in the middle of a fit and
// of a dataset upload: after a restart the model is the previous one or the new complete one (it loads and
// infers), every listed sample is complete, and the startup sweep removed the temp files of interrupted writes.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { baseName, discPng } from './support/inspection-fixtures';
import { sleep } from './support/jobs-client';
import { freePort } from './support/redis-server';
import { fitRequest, inferRequest, SEED_RECIPE, SEED_ROI, SEED_ROLE, seedFittedModel, uploadSamples } from './support/model-seed';

const MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

interface Service {
  child: ChildProcess;
  base: string;
  output: () => string;
}

async function startService(root: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      BDI_BACKEND_HOST: '127.0.0.1',
      BDI_BACKEND_PORT: String(port),
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_GUI_LOG_DIR: path.join(root, 'logs'),
      BDI_WORKERS: '1',
      BDI_MIN_OK_SAMPLES: '2',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}: ${out}`);
    try {
      if ((await request(base).get('/health/ready')).status === 200) return { child, base, output: () => out };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`service not ready: ${out}`);
    await sleep(100);
  }
}

function kill9(service: Service): Promise<void> {
  return new Promise((resolve) => {
    if (service.child.exitCode !== null || service.child.signalCode !== null) return resolve();
    service.child.once('exit', () => resolve());
    service.child.kill('SIGKILL');
  });
}

function tempFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (TEMP_NAME.test(e.name)) found.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  walk(dir);
  return found;
}

/** Polls (yielding to the event loop) until `seen()` holds or `ms` pass. */
async function waitFor(seen: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (seen()) return true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return false;
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

describe('crash safety: kill -9 during a fit and an upload', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-crash-'));
  const modelsDir = path.join(root, 'models');
  const modelDir = path.join(modelsDir, 'recipes', SEED_RECIPE, SEED_ROI);
  const datasetDir = path.join(modelsDir, 'recipes', SEED_RECIPE, 'datasets', baseName(SEED_ROLE, SEED_ROI));
  let service: Service | null = null;

  afterAll(async () => {
    if (service) await kill9(service);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('keeps the previous or the new complete model and complete samples, and sweeps temp files at restart', async () => {
    service = await startService(root);
    const model = await seedFittedModel(service.base, modelsDir, 2);
    const before = {
      memory: fs.readFileSync(model.files.memory),
      index: fs.readFileSync(model.files.index),
      calib: fs.readFileSync(model.files.calib),
    };
    // Enough OK samples that a memory_fit (every patch kept) writes a large npz and index: a wide kill window.
    for (let i = 0; i < 2; i++) expect((await uploadSamples(service.base, 'ok', 12, 2000 + i * 20)).status).toBe(200);
    const probe = await discPng({ size: 64, seed: 42 });
    const first = await inferRequest(service.base, probe);
    expect(first.status).toBe(200);
    let scoreBefore = first.body.score as number;

    // One uninterrupted memory_fit: the new model, and how long a fit takes here (the kill window is at its end).
    const timed = Date.now();
    expect((await fitRequest(service.base, { memoryFit: true })).status).toBe(200);
    const fitMs = Date.now() - timed;
    before.memory = fs.readFileSync(model.files.memory);
    before.index = fs.readFileSync(model.files.index);
    scoreBefore = (await inferRequest(service.base, probe)).body.score as number;

    const outcomes: string[] = [];
    // 'fit': kill while the fit writes its temp files; 'fit-index': right after the new index is renamed into place
    // (before the npz is), the window a torn model would come from; 'upload': while samples are being written.
    const targets = ['fit', 'fit-index', 'upload'] as const;
    for (let attempt = 0; attempt < targets.length; attempt++) {
      // A fit that rewrites the model, and an upload of 20 larger samples, both in flight when the kill lands.
      const fit = fitRequest(service.base, { memoryFit: true }).then(
        (r) => `fit:${r.status}`,
        () => 'fit:killed',
      );
      if (targets[attempt] !== 'upload') await sleep(fitMs * 0.5);
      let upload = request(service.base).post('/datasets/ok/upload').field('recipe_id', SEED_RECIPE).field('role_id', SEED_ROLE).field('roi_id', SEED_ROI);
      const big = await sharp(await discPng({ size: 256, seed: 9000 + attempt })).png({ compressionLevel: 0 }).toBuffer();
      for (let i = 0; i < 20; i++) upload = upload.attach('images', big, `u${i}.png`).field('metas', JSON.stringify({ mm_per_px: 0.2 }));
      const uploaded = upload.then(
        (r) => `upload:${r.status}`,
        () => 'upload:killed',
      );
      // Kill as soon as the target's moment comes (else after twice the fit time).
      const indexMtime = mtimeMs(model.files.index);
      const target = targets[attempt];
      const caught = await waitFor(
        target === 'fit'
          ? () => tempFilesUnder(modelDir).length > 0
          : target === 'fit-index'
            ? () => mtimeMs(model.files.index) !== indexMtime
            : () => tempFilesUnder(path.join(datasetDir, 'ok')).length > 0,
        fitMs * 2 + 2000,
      );
      await kill9(service);
      outcomes.push(`${target}:${caught ? 'caught' : 'missed'} ${await fit} ${await uploaded}`);

      // A temp file of an interrupted write from an earlier life, as the sweep must see it (older than the process).
      const planted = path.join(modelDir, `.${path.basename(model.files.memory)}.4242.0123456789ab.tmp`);
      fs.writeFileSync(planted, before.memory.subarray(0, 100));
      fs.utimesSync(planted, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

      service = await startService(root);
      expect(tempFilesUnder(modelsDir)).toEqual([]);
      expect(service.output()).toMatch(/removed \d+ temp file\(s\) left by an interrupted write/);

      // The model: the previous npz or a new complete one, never a torn one, and it loads and infers. With the
      // previous npz the score is the previous score even when the kill fell between the index and npz renames.
      const npz = fs.readFileSync(model.files.memory);
      const unchanged = npz.equals(before.memory);
      expect(fs.readFileSync(model.files.calib).equals(before.calib)).toBe(true);
      const state = await request(service.base).get('/state').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
      expect(state.body).toMatchObject({ memory_fitted: true, calib_present: true });
      const infer = await inferRequest(service.base, probe);
      expect({ status: infer.status, code: infer.body.code }).toEqual({ status: 200, code: undefined });
      if (unchanged) expect(infer.body.score).toBeCloseTo(scoreBefore, 6);
      else expect(npz.length).toBeGreaterThanOrEqual(before.memory.length); // the memory_fit bank: every patch of 26+ images
      const indexNow = fs.readFileSync(model.files.index);
      outcomes[attempt] += ` npz:${unchanged ? 'previous' : 'new'} index:${indexNow.equals(before.index) ? 'previous' : 'new'}`;
      before.memory = npz;
      before.index = indexNow;
      scoreBefore = infer.body.score as number;

      // Samples: every listed image decodes completely and has its meta.
      const listed = await request(service.base).get('/datasets/list').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
      const files = listed.body.classes.ok.files as string[];
      expect(files.length).toBeGreaterThanOrEqual(26);
      expect(listed.body.classes.ok.count).toBe(files.length);
      for (const name of files) {
        const bytes = fs.readFileSync(path.join(datasetDir, 'ok', name));
        const meta = await sharp(bytes).metadata();
        expect([name, meta.width]).toEqual([name, expect.any(Number)]);
        await sharp(bytes).raw().toBuffer(); // throws on a truncated image
        expect([name, listed.body.classes.ok.meta[name]]).toEqual([name, true]);
      }
    }
    // The point of the loop is to land inside writes; record where the kills landed.
    process.stderr.write(`crash-safety kills: ${JSON.stringify(outcomes)}\n`);
    expect(outcomes).toHaveLength(targets.length);
  }, 120_000);
});
