// A full disk, for real: the models directory (and the jobs database in it) lives on a small tmpfs that the test
// fills with a filler file. Every write path answers 507 insufficient_storage naming the directory, nothing is
// half-written, the stored model keeps serving, and everything works again once space is freed.
// Needs `mount -t tmpfs` (root with CAP_SYS_ADMIN, as in CI); elsewhere the suite is skipped and says why.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { discPng } from './support/inspection-fixtures';
import { fitRequest, inferRequest, SEED_RECIPE, SEED_ROI, SEED_ROLE, seedFittedModel, SeededModel, uploadSamples } from './support/model-seed';
import { startTestApp, TestApp } from './support/test-app';

const TEMP_NAME = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

function tryMountTmpfs(dir: string, sizeMb: number): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'not root on Linux: cannot mount a tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${(error as Error).message}`;
  }
}

/** Writes zeros until ENOSPC; returns the filler's path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler.bin');
  const fd = fs.openSync(filler, 'w');
  try {
    for (const chunk of [1 << 20, 4096]) {
      const buf = Buffer.alloc(chunk);
      for (;;) {
        try {
          fs.writeSync(fd, buf);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (TEMP_NAME.test(e.name)) out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

async function noisePng(size: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-full-disk-'));
const mnt = path.join(root, 'models');
fs.mkdirSync(mnt);
const mountProblem = tryMountTmpfs(mnt, 48);
if (mountProblem) {
  // eslint-disable-next-line no-console
  console.warn(`full-disk e2e skipped: ${mountProblem}`);
  fs.rmSync(root, { recursive: true, force: true });
}
const describeFullDisk = mountProblem ? describe.skip : describe;

describeFullDisk('full disk: 507 insufficient_storage on every write path, then recovery', () => {
  let t: TestApp;
  let seeded: SeededModel;
  let filler: string;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '4' }, { modelsDir: mnt });
    seeded = await seedFittedModel(t.server, t.modelsDir, 4);
    filler = fillDisk(mnt);
  });
  afterAll(async () => {
    await t?.close();
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  function expect507(res: request.Response, dirPart: string): void {
    expect(res.status).toBe(507);
    expect(res.body.code).toBe('insufficient_storage');
    expect(res.body.error).toBe(res.body.message);
    expect(res.body.details.directory).toContain(dirPart);
    expect(res.body.message).toContain(res.body.details.directory);
  }

  it('answers 507 on upload, fit, calibration and job creation while the disk is full, keeps the model serving, and recovers', async () => {
    const npzBefore = fs.readFileSync(seeded.files.memory);
    const calibBefore = fs.readFileSync(seeded.files.calib);
    const listBefore = await request(t.server).get('/datasets/list').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });

    const upload = await uploadSamples(t.server, 'ok', 2, 5000);
    expect507(upload, path.join('recipes', SEED_RECIPE, 'datasets'));
    expect(upload.body.details.bytes_needed).toBeGreaterThan(0);

    const fit = await fitRequest(t.server);
    expect507(fit, path.join('recipes', SEED_RECIPE, SEED_ROI));
    expect(fit.body.details.bytes_needed).toBeGreaterThan(0);

    const calibNg = await request(t.server)
      .post('/calibrate_ng')
      .send({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, ok_scores: [1, 1.1], ng_scores: [3] });
    expect507(calibNg, path.join('recipes', SEED_RECIPE, SEED_ROI));
    const calibDataset = await request(t.server)
      .post('/calibrate_dataset')
      .send({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, default_mm_per_px: 0.2, require_ng: false });
    expect507(calibDataset, path.join('recipes', SEED_RECIPE, SEED_ROI));

    const bigImage = (await noisePng(160, 7)).toString('base64');
    const job = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: bigImage });
    expect(job.status).toBe(507);
    expect(job.body).toMatchObject({ code: 'insufficient_storage', details: { directory: mnt } });

    // Nothing half-written: same model, same calibration, same dataset, no temp files; reads keep working.
    expect(fs.readFileSync(seeded.files.memory).equals(npzBefore)).toBe(true);
    expect(fs.readFileSync(seeded.files.calib).equals(calibBefore)).toBe(true);
    const listDuring = await request(t.server).get('/datasets/list').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
    expect(listDuring.body.classes).toEqual(listBefore.body.classes);
    expect(tempFiles(mnt)).toEqual([]);
    const infer = await inferRequest(t.server, await discPng({ size: 64, seed: 1000 }));
    expect(infer.status).toBe(200);
    expect((await request(t.server).get('/health/ready')).status).toBe(200);

    // Space comes back: the same requests succeed without a restart.
    fs.rmSync(filler);
    expect((await uploadSamples(t.server, 'ok', 2, 5000)).status).toBe(200);
    expect((await fitRequest(t.server)).status).toBe(200);
    expect((await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64: bigImage })).status).toBe(200);
  });

  it('stores nothing of an upload that fills the disk half-way (all or nothing per request)', async () => {
    const listBefore = await request(t.server).get('/datasets/list').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
    const images = await Promise.all([0, 1, 2].map((i) => noisePng(160, 100 + i)));
    filler = fillDisk(mnt);
    // Room for about one and a half of the three images.
    fs.truncateSync(filler, fs.statSync(filler).size - Math.round(images[0].length * 1.5));
    let req = request(t.server).post('/datasets/ok/upload').field('recipe_id', SEED_RECIPE).field('role_id', SEED_ROLE).field('roi_id', SEED_ROI);
    for (const [i, png] of images.entries()) req = req.attach('images', png, { filename: `big${i}.png`, contentType: 'image/png' });
    const res = await req;
    expect(res.status).toBe(507);
    const listAfter = await request(t.server).get('/datasets/list').query({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
    expect(listAfter.body.classes).toEqual(listBefore.body.classes);
    expect(tempFiles(mnt)).toEqual([]);
    fs.rmSync(filler);
  });
});
