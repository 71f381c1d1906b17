// /datasets/* over HTTP: the GUI's multipart (as .NET writes it), validation before any write, reads with recipe
// fallbacks, deletes only from the recipe's own dataset, and file names that never leave the dataset folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
import { baseName, discPng } from './support/inspection-fixtures';

const ROLE = 'Inspection';
const ROI = 'inspection-2';

describe('datasets', () => {
  let t: TestApp;
  let png: Buffer;

  beforeAll(async () => {
    t = await startTestApp({});
    png = await discPng({ size: 16 });
  });
  afterAll(async () => t.close());

  const ownDir = (recipe: string, label: string, role = ROLE, roi = ROI) => path.join(t.modelsDir, 'recipes', recipe, 'datasets', baseName(role, roi), label);
  const files = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

  function upload(label: string, recipe: string, images: Array<{ name: string }>, metas: string[] | null): request.Test {
    let req = request(t.server).post(`/datasets/${label}/upload`).set('X-Recipe-Id', recipe).field('role_id', ROLE).field('roi_id', ROI);
    for (const image of images) req = req.attach('images', png, image.name);
    for (const meta of metas ?? []) req = req.field('metas', meta);
    return req;
  }

  it("accepts .NET's multipart: unquoted names, filename*=utf-8'', typed text parts", async () => {
    const boundary = 'dotnet-boundary-1234';
    const part = (headers: string[], body: Buffer | string) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body), Buffer.from('\r\n')]);
    const body = Buffer.concat([
      part(['Content-Type: text/plain; charset=utf-8', 'Content-Disposition: form-data; name=role_id'], ROLE),
      part(['Content-Type: application/octet-stream', 'Content-Disposition: form-data; name=roi_id'], ROI),
      part(['Content-Type: image/png', "Content-Disposition: form-data; name=images; filename=sample.png; filename*=utf-8''sample%20%C3%B1.PNG"], png),
      part(['Content-Type: application/json; charset=utf-8', 'Content-Disposition: form-data; name=metas'], JSON.stringify({ mm_per_px: 0.2, filename: 'sample_ñ.png', angle: null })),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const res = await request(t.server).post('/datasets/ok/upload').set('Content-Type', `multipart/form-data; boundary=${boundary}`).set('X-Recipe-Id', 'dotnet').send(body);
    expect(res.status).toBe(200);
    expect(res.body.saved).toHaveLength(1);
    expect(res.body.saved[0]).toMatch(/^\d{8}-\d{6}-\d{6}\.png$/);
    const meta = JSON.parse(fs.readFileSync(path.join(ownDir('dotnet', 'ok'), res.body.saved[0].replace('.png', '.json')), 'utf8'));
    expect(meta).toMatchObject({ filename: 'sample_ñ.png', role_id: ROLE, roi_id: ROI, label: 'ok', recipe_id: 'dotnet', mm_per_px: 0.2 });
  });

  it('validates every meta before writing anything', async () => {
    const good = JSON.stringify({ mm_per_px: 0.2 });
    const cases: Array<[string[], number, string]> = [
      [[good], 400, 'metas_length_mismatch'],
      [[good, '{bad'], 400, 'invalid_json_field'],
      [[good, '[1]'], 400, 'invalid_json_field'],
      [[good, JSON.stringify({ mm_per_px: -1 })], 400, 'invalid_mm_per_px'],
      [[good, JSON.stringify({ mm_per_px: 0.3 })], 409, 'mm_per_px_mismatch'],
    ];
    for (const [metas, status, code] of cases) {
      const res = await upload('ok', 'strict', [{ name: 'a.png' }, { name: 'b.png' }], metas);
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(files(ownDir('strict', 'ok'))).toEqual([]);
    }
    expect((await upload('ok', 'strict', [{ name: 'a.png' }], null).field('metas', '')).status).toBe(200);
    expect((await request(t.server).post('/datasets/ok/upload').field('role_id', ROLE).field('roi_id', ROI)).status).toBe(422);
  });

  it('lists, serves, describes, deletes and clears samples', async () => {
    const up = await upload('ng', 'life', [{ name: 'X.JPG' }, { name: 'y.png' }], [JSON.stringify({ filename: 'gui.png' }), '']);
    expect(up.status).toBe(200);
    const [jpg, second] = up.body.saved;
    expect(jpg).toMatch(/\.jpg$/);
    expect(second > jpg).toBe(true);

    const list = await request(t.server).get('/datasets/list').set('X-Recipe-Id', 'life').query({ role_id: ROLE, roi_id: ROI });
    expect(list.body).toMatchObject({ role_id: ROLE, roi_id: ROI, recipe_id: 'life', classes: { ng: { count: 2, files: [jpg, second], meta: { [jpg]: true, [second]: true } } } });
    expect(list.body.classes.ok).toBeUndefined();

    const q = { role_id: ROLE, roi_id: ROI, label: 'NG', filename: jpg };
    const file = await request(t.server).get('/datasets/file').set('X-Recipe-Id', 'life').query(q);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/jpeg');
    expect(file.headers['content-disposition']).toBe(`attachment; filename="${jpg}"`);
    expect(file.headers.etag).toBeDefined();
    expect(Buffer.compare(file.body, png)).toBe(0);

    const meta = await request(t.server).get('/datasets/meta').set('X-Recipe-Id', 'life').query(q);
    expect(meta.body).toMatchObject({ filename: 'gui.png', label: 'ng', recipe_id: 'life', request_id: meta.headers['x-request-id'] });

    const missing = await request(t.server).get('/datasets/file').set('X-Recipe-Id', 'life').query({ ...q, filename: 'nope.png' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'file_not_found', error: 'file not found' });
    expect((await request(t.server).get('/datasets/meta').set('X-Recipe-Id', 'life').query({ ...q, filename: 'nope.png' })).body.error).toBe('meta not found');
    expect((await request(t.server).get('/datasets/file').set('X-Recipe-Id', 'life').query({ ...q, label: 'maybe' })).body.code).toBe('invalid_label');

    const del = await request(t.server).delete('/datasets/file').set('X-Recipe-Id', 'life').query(q);
    expect(del.body).toMatchObject({ deleted: true, filename: jpg, recipe_id: 'life' });
    expect((await request(t.server).delete('/datasets/file').set('X-Recipe-Id', 'life').query(q)).body.deleted).toBe(false);
    expect(files(ownDir('life', 'ng'))).toEqual([second, second.replace('.png', '.json')].sort());

    const clear = await request(t.server).delete('/datasets/clear').set('X-Recipe-Id', 'life').query({ role_id: ROLE, roi_id: ROI, label: 'NG' });
    expect(clear.body).toMatchObject({ cleared: 2, label: 'NG' });
    expect(files(ownDir('life', 'ng'))).toEqual([]);
  });

  it("reads another recipe's samples through the fallback but never deletes them", async () => {
    const up = await upload('ok', 'default', [{ name: 'a.png' }], null);
    const [name] = up.body.saved;
    const list = await request(t.server).get('/datasets/list').set('X-Recipe-Id', 'borrower').query({ role_id: ROLE, roi_id: ROI });
    expect(list.body.classes.ok.files).toContain(name);
    const q = { role_id: ROLE, roi_id: ROI, label: 'ok', filename: name };
    expect((await request(t.server).get('/datasets/file').set('X-Recipe-Id', 'borrower').query(q)).status).toBe(200);
    const del = await request(t.server).delete('/datasets/file').set('X-Recipe-Id', 'borrower').query(q);
    expect(del.status).toBe(404);
    expect(del.body.code).toBe('file_not_found');
    const clear = await request(t.server).delete('/datasets/clear').set('X-Recipe-Id', 'borrower').query({ role_id: ROLE, roi_id: ROI, label: 'ok' });
    expect(clear.body.cleared).toBe(0);
    expect(files(ownDir('default', 'ok'))).toContain(name);
  });

  it('never lets a file name or an id leave the dataset folder', async () => {
    for (const filename of ['../../x', '../recipe_meta.json', '/etc/passwd', '..', 'a\\b']) {
      for (const method of ['get', 'delete'] as const) {
        const res = await request(t.server)[method]('/datasets/file').query({ role_id: ROLE, roi_id: ROI, label: 'ok', filename });
        expect({ filename, status: res.status, code: res.body.code }).toEqual({ filename, status: 400, code: 'invalid_filename' });
      }
    }
    const encoded = await request(t.server).get(`/datasets/file?role_id=${ROLE}&roi_id=${ROI}&label=ok&filename=%2e%2e%2f%2e%2e%2fx`);
    expect(encoded.status).toBe(400);
    expect(encoded.body.code).toBe('invalid_filename');

    const evil = await request(t.server).post('/datasets/ok/upload').field('role_id', '../../../evil').field('roi_id', 'a/b').attach('images', png, '../../x.png');
    expect(evil.status).toBe(200);
    expect(fs.existsSync(path.join(ownDir('default', 'ok', '../../../evil', 'a/b'), evil.body.saved[0]))).toBe(true);
    expect(path.basename(path.dirname(ownDir('default', 'ok', '../../../evil', 'a/b')))).toMatch(/^[A-Za-z0-9_-]+__[A-Za-z0-9_-]+$/);
  });
});
