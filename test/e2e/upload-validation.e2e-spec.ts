// Issue 13: uploads decode every image before storing anything, keep the client's file name, and fit/calibration
// name every unusable stored sample by that name. Real app, real sharp decoding, real engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { baseName, circleShape, discPng } from './support/inspection-fixtures';
import { SEED_ROLE, SEED_SIZE } from './support/model-seed';
import { startTestApp, TestApp } from './support/test-app';

const RECIPE = 'uploads';

describe('uploads validate before they store', () => {
  let t: TestApp;
  let jpeg: Buffer;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '4' });
    jpeg = await sharp(await discPng({ size: SEED_SIZE, seed: 5 })).jpeg().toBuffer();
  });
  afterAll(async () => t.close());

  function upload(roi: string, files: Array<[string, Buffer, string]>): request.Test {
    let req = request(t.server).post('/datasets/ok/upload').field('recipe_id', RECIPE).field('role_id', SEED_ROLE).field('roi_id', roi);
    for (const [name, bytes, type] of files) {
      req = req.attach('images', bytes, { filename: name, contentType: type });
      req = req.field('metas', JSON.stringify({ mm_per_px: 0.2, shape_json: circleShape(SEED_SIZE) }));
    }
    return req;
  }

  async function listed(roi: string): Promise<number> {
    const res = await request(t.server).get('/datasets/list').query({ recipe_id: RECIPE, role_id: SEED_ROLE, roi_id: roi });
    return res.body.classes?.ok?.count ?? 0;
  }

  const bad: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['empty.png', async () => Buffer.alloc(0), /empty\.png \(Image is empty\)/],
    ['notes.png', async () => Buffer.from('this is a text file, not an image\n'), /notes\.png \(Image could not be decoded: /],
    ['cut.jpg', async () => jpeg.subarray(0, Math.floor(jpeg.length / 2)), /cut\.jpg \(Image could not be decoded: .*premature end/i],
  ];
  it.each(bad)('refuses %s with 400 invalid_image naming it and the reason, and stores nothing of the request', async (name, make, reason) => {
    const good = await discPng({ size: SEED_SIZE, seed: 1 });
    const res = await upload('bad-one', [['good.png', good, 'image/png'], [name, await make(), 'image/png']]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_image');
    expect(res.body.error).toMatch(/^No se pudo decodificar la imagen: /);
    expect(res.body.error).toMatch(reason);
    expect(res.body.details.files).toEqual([expect.objectContaining({ index: 1, filename: name, code: 'invalid_image' })]);
    expect(await listed('bad-one')).toBe(0);
  });

  it('refuses an 8000x8000 PNG (over BDI_MAX_IMAGE_PIXELS) by name before decoding it', async () => {
    const huge = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
    const res = await upload('huge', [['huge.png', huge, 'image/png']]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('image_too_large');
    expect(res.body.error).toContain('huge.png (Image exceeds the decoded pixel limit of 40000000)');
    expect(await listed('huge')).toBe(0);
  });

  it('keeps the client\'s file name in the sample\'s meta', async () => {
    const res = await upload('kept', [['camera_0042.png', await discPng({ size: SEED_SIZE, seed: 2 }), 'image/png']]);
    expect(res.status).toBe(200);
    const meta = await request(t.server)
      .get('/datasets/meta')
      .query({ recipe_id: RECIPE, role_id: SEED_ROLE, roi_id: 'kept', label: 'ok', filename: res.body.saved[0] });
    expect(meta.body.original_filename).toBe('camera_0042.png');
  });

  it('fit and calibration name every unusable stored sample by its original name', async () => {
    const roi = 'damaged';
    const files: Array<[string, Buffer, string]> = [];
    for (let i = 0; i < 5; i++) files.push([`part_${i}.png`, await discPng({ size: SEED_SIZE, seed: 10 + i }), 'image/png']);
    const up = await upload(roi, files);
    expect(up.status).toBe(200);
    // Two stored images get damaged on disk after the upload (a bad copy, a disk error).
    const dir = path.join(t.modelsDir, 'recipes', RECIPE, 'datasets', baseName(SEED_ROLE, roi), 'ok');
    const saved: string[] = up.body.saved;
    fs.writeFileSync(path.join(dir, saved[1]), Buffer.from('garbage'));
    fs.truncateSync(path.join(dir, saved[3]), 40);

    const fit = await request(t.server)
      .post('/fit_ok')
      .field('recipe_id', RECIPE)
      .field('role_id', SEED_ROLE)
      .field('roi_id', roi)
      .field('mm_per_px', '0.2')
      .field('use_dataset', 'true');
    expect(fit.status).toBe(400);
    expect(fit.body.code).toBe('invalid_image');
    expect(fit.body.error).toMatch(/^No se pudo decodificar la imagen: /);
    expect(fit.body.error).toContain(`part_1.png (stored as ${saved[1]})`);
    expect(fit.body.error).toContain(`part_3.png (stored as ${saved[3]})`);
    expect(fit.body.details.samples.map((s: { original_filename: string }) => s.original_filename)).toEqual(['part_1.png', 'part_3.png']);

    // Fit from the good ones, then calibration must not silently skip the damaged ones.
    fs.copyFileSync(path.join(dir, saved[0]), path.join(dir, saved[1]));
    fs.copyFileSync(path.join(dir, saved[0]), path.join(dir, saved[3]));
    const refit = await request(t.server).post('/fit_ok').field('recipe_id', RECIPE).field('role_id', SEED_ROLE).field('roi_id', roi).field('mm_per_px', '0.2').field('use_dataset', 'true');
    expect(refit.status).toBe(200);
    fs.writeFileSync(path.join(dir, saved[2]), Buffer.from('garbage'));
    fs.writeFileSync(path.join(dir, saved[4]), Buffer.alloc(0));
    const calib = await request(t.server).post('/calibrate_dataset').send({ recipe_id: RECIPE, role_id: SEED_ROLE, roi_id: roi, require_ng: false });
    expect(calib.status).toBe(400);
    expect(calib.body.code).toBe('invalid_image');
    expect(calib.body.details.n_unusable).toBe(2);
    expect(calib.body.error).toContain(`part_2.png (stored as ${saved[2]})`);
    expect(calib.body.error).toContain(`part_4.png (stored as ${saved[4]})`);
  });
});
