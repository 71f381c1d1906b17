// Seeded fuzzing of every route with malformed requests: random multipart fields and files, wrong types, huge and
// non-finite numbers, broken images, path tricks in ids and file names, random JSON, wrong content types and
// methods. Every error must be the JSON contract, no 5xx outside the documented ones, the process stays up, and
// the seeded model, calibration and dataset are byte-identical afterwards.
import * as fs from 'node:fs';
import request from 'supertest';
import { createPrng } from '../../src/engine/seeded-prng';
import { circleShape, discPng } from './support/inspection-fixtures';
import { seedFittedModel, SEED_RECIPE, SEED_ROI, SEED_ROLE, snapshotFiles } from './support/model-seed';
import { startTestApp, TestApp } from './support/test-app';

// FUZZ_SEED explores other sequences; the default keeps the suite deterministic.
const SEED = Number(process.env.FUZZ_SEED ?? 20251122);
const REQUESTS = 600;
// The only 5xx a malformed request may get: the pool's back-pressure (a burst of the fuzzer's valid-looking images).
const ALLOWED_5XX = new Set(['overloaded']);

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options' | 'head';
interface Case {
  method: Method;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  raw?: { contentType: string; body: string | Buffer };
  multipart?: { fields: Array<[string, string]>; files: Array<[string, Buffer, string]> };
}

class Gen {
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = createPrng(seed).next;
  }
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

// Ids never equal the seeded role/ROI: a fuzz request that happens to be valid must not rewrite the seeded model.
const TRICKY = [
  '', ' ', '0', '-1', '-0', '1e309', '-1e309', 'NaN', 'nan', 'Infinity', '-Infinity', 'inf', '1e-320', '0x10', '1_000',
  'true', 'false', 'null', 'None', '[]', '{}', '{', '"', '\\', '/', '..', '../..', '../../etc/passwd', '..\\..\\windows',
  '%2e%2e%2f', 'C:\\x', 'CON', 'nul', '.hidden', 'a/b', 'a\u0000b', '\u202e', '😀', 'ñandú', 'x'.repeat(300),
  '<script>', "' OR 1=1 --", '${jndi:x}', '9'.repeat(400), '-9'.repeat(40),
];
const SHAPES = [
  '{"kind":"circle","cx":"x","cy":1,"r":1}', '{"kind":"rect","x":1e309,"y":-5,"w":"10.5","h":null}', '{"kind":"annulus","cx":1,"cy":1,"r":-3,"r_inner":99}',
  '[1,2,3]', '"circle"', '{', 'null', '{"kind":"circle","cx":1,"cy":1,"r":1e308}', '{"kind":"polygon","points":[[0,0],[1e9,1e9]]}',
];
const FIELD_NAMES = ['role_id', 'roi_id', 'mm_per_px', 'shape', 'model_key', 'recipe_id', 'memory_fit', 'use_dataset', 'include_heatmap', 'metas', 'label', 'filename', 'images', 'image', 'x', ''];
const ROUTES_GET = ['/state', '/manifest', '/datasets/list', '/datasets/file', '/datasets/meta', '/health', '/health/live', '/health/ready', '/metrics', '/docs-json', '/jobs'];
const ROUTES_POST_MULTIPART = ['/fit_ok', '/infer', '/datasets/ok/upload', '/datasets/ng/upload'];
const ROUTES_POST_JSON = ['/calibrate_ng', '/infer_dataset', '/calibrate_dataset', '/jobs', '/detect/objects', '/fit_ok', '/infer'];
const ALL_PATHS = [...new Set([...ROUTES_GET, ...ROUTES_POST_MULTIPART, ...ROUTES_POST_JSON, '/datasets/clear', '/docs', '/monitor/', '/nope', '/jobs/x/result'])];
const TASKS = ['detect-objects', 'infer', 'infer-dataset', 'nope', '', 'fit-ok', 'calibrate-dataset'];

function value(g: Gen): string {
  return g.chance(0.15) ? g.pick(SHAPES) : g.pick(TRICKY);
}

function jsonValue(g: Gen, depth = 0): unknown {
  switch (g.int(depth > 2 ? 6 : 8)) {
    case 0:
      return g.pick([0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 0.2, 3.5]);
    case 1:
      return g.pick(TRICKY);
    case 2:
      return g.chance(0.5);
    case 3:
      return null;
    case 4:
      return g.pick(['NaN', 'Infinity', '-Infinity', '1e999']);
    case 5:
      return g.pick(SHAPES);
    case 6:
      return Array.from({ length: g.int(5) }, () => jsonValue(g, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = g.int(5); i > 0; i--) o[g.pick([...FIELD_NAMES, 'ok_scores', 'ng_scores', 'imageBase64', 'task', 'payload', 'minScore', 'debugSleepMs', 'labels'])] = jsonValue(g, depth + 1);
      return o;
    }
  }
}

/** A body for a JSON route: mostly its own fields with wrong values, never the seeded role and ROI together. */
function jsonBody(g: Gen, route: string, images: Buffer[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const fields = ['role_id', 'roi_id', 'recipe_id', 'model_key', 'mm_per_px', 'ok_scores', 'ng_scores', 'score_percentile', 'area_mm2_thr', 'labels', 'default_mm_per_px', 'require_ng', 'include_heatmap', 'imageBase64', 'minScore', 'debugSleepMs', 'shape'];
  for (const f of fields) if (g.chance(0.45)) body[f] = jsonValue(g);
  if (g.chance(0.3)) body.imageBase64 = g.pick(images).toString('base64');
  if (g.chance(0.2)) body.imageBase64 = g.pick(images).toString('base64').slice(0, 40);
  if (g.chance(0.3)) body.ok_scores = Array.from({ length: g.int(6) }, () => jsonValue(g, 3));
  if (route === '/jobs') body.task = g.pick(TASKS);
  if (route === '/jobs' && g.chance(0.3)) body.payload = jsonValue(g);
  if (body.role_id === SEED_ROLE) body.role_id = 'other';
  return body;
}

function buildCase(g: Gen, images: Buffer[]): Case {
  switch (g.int(9)) {
    case 0:
    case 1: {
      // Multipart to an upload route, random field names and values, random (often broken) files.
      const fields: Array<[string, string]> = [];
      for (let i = g.int(7); i > 0; i--) fields.push([g.pick(FIELD_NAMES), value(g)]);
      if (g.chance(0.5)) fields.push(['role_id', g.pick(TRICKY)], ['roi_id', g.pick(TRICKY)]);
      if (g.chance(0.4)) fields.push(['mm_per_px', g.pick(['0', '-0.2', 'NaN', 'Infinity', '1e309', 'abc', '', '0.2'])]);
      const files: Array<[string, Buffer, string]> = [];
      for (let i = g.int(3); i > 0; i--) files.push([g.pick(['image', 'images', 'file', '']), g.pick(images), g.pick(['a.png', '../../x.png', '..', 'C:\\evil.bmp', 'x'.repeat(200), 'ñ.jpg', '.npz', 'a.json'])]);
      return { method: 'post', path: g.pick(ROUTES_POST_MULTIPART), multipart: { fields, files } };
    }
    case 2:
    case 3: {
      const route = g.pick(ROUTES_POST_JSON);
      return { method: 'post', path: route, json: g.chance(0.85) ? jsonBody(g, route, images) : jsonValue(g) };
    }
    case 4: {
      // Query-string routes with hostile ids; the seeded ids appear only on read-only routes or with a bad label.
      const route = g.pick([...ROUTES_GET, '/datasets/file', '/datasets/clear']);
      const method: Method = route === '/datasets/clear' || (route === '/datasets/file' && g.chance(0.5)) ? 'delete' : 'get';
      const query: Record<string, string> = {};
      for (const f of ['role_id', 'roi_id', 'recipe_id', 'model_key', 'label', 'filename', 'limit', 'cursor', 'status']) if (g.chance(0.5)) query[f] = value(g);
      if (g.chance(0.4)) Object.assign(query, { recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI });
      if (method === 'delete' && query.role_id === SEED_ROLE) {
        query.label = g.pick(['nok', '', 'ok/..', '../ok', 'okk', 'o k']); // 'OK' / ' ng ' are valid (trim + lower)
        if (route === '/datasets/file') query.filename = g.pick(['../../x.png', '..', '', 'nope.png', 'a/b.png']);
      }
      return { method, path: route, query };
    }
    case 5: {
      // Path tricks and garbage in job ids.
      const id = encodeURIComponent(g.pick(TRICKY.filter((s) => s !== '' && s !== '.' && s !== '..'))).slice(0, 200);
      const suffix = g.pick(['', '/result', '/cancel', '/retry']);
      return { method: suffix === '/cancel' || suffix === '/retry' ? 'post' : 'get', path: `/jobs/${id}${suffix}` };
    }
    case 6: {
      // Wrong content types and broken bodies.
      const ct = g.pick([
        'text/plain',
        'application/xml',
        'application/json',
        'application/json; charset=utf-7',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'multipart/form-data; boundary=zzz',
        'image/png',
      ]);
      const body = g.pick<string | Buffer>([
        '{"role_id":',
        '{"mm_per_px": NaN}',
        '{"ok_scores":[1e999]}',
        '<a>1</a>',
        '--zzz\r\nContent-Disposition: form-data; name="role_id"\r\n\r\nr',
        '--zzz\r\nContent-Disposition: form-data; name="image"; filename="../a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG',
        'a=1&a=2&role_id=../../x',
        g.bytes(200),
        '',
        'null',
        '[]',
      ]);
      return { method: g.pick<Method>(['post', 'post', 'put']), path: g.pick(ALL_PATHS), raw: { contentType: ct, body } };
    }
    case 7:
      // Random methods on known and unknown paths.
      return { method: g.pick<Method>(['put', 'patch', 'delete', 'options', 'head', 'get', 'post']), path: g.pick(ALL_PATHS), query: g.chance(0.3) ? { role_id: value(g) } : undefined };
    default: {
      // Read-only routes against the seeded model with broken other inputs (truncated / random images, bad shapes).
      return {
        method: 'post',
        path: '/infer',
        multipart: {
          fields: [
            ['recipe_id', SEED_RECIPE],
            ['role_id', SEED_ROLE],
            ['roi_id', SEED_ROI],
            ['mm_per_px', g.pick(['0.2', '0', '-0.2', 'NaN', 'Infinity', '1e309', '0.3'])],
            ['shape', g.pick([...SHAPES, circleShape(64)])],
            ...(g.chance(0.3) ? ([['include_heatmap', value(g)]] as Array<[string, string]>) : []),
          ],
          files: g.chance(0.9) ? [['image', g.pick(images), g.pick(['a.png', '../a.png'])]] : [],
        },
      };
    }
  }
}

/** Enough of a case to reproduce it from a failure message (bytes shown by length). */
function describeCase(c: Case): string {
  const shown = { query: c.query, json: c.json, raw: c.raw && { ...c.raw, body: typeof c.raw.body === 'string' ? c.raw.body : `<${c.raw.body.length} bytes>` }, multipart: c.multipart && { fields: c.multipart.fields, files: c.multipart.files.map(([n, b, f]) => [n, `<${b.length} bytes>`, f]) } };
  return JSON.stringify(shown).slice(0, 600);
}

function send(t: TestApp, c: Case): request.Test {
  let req = request(t.server)[c.method](c.path);
  if (c.query) req = req.query(c.query);
  for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
  if (c.multipart) {
    for (const [name, v] of c.multipart.fields) req = req.field(name || 'unnamed', v);
    for (const [name, bytes, filename] of c.multipart.files) req = req.attach(name || 'unnamed', bytes, filename);
  } else if (c.raw) {
    req = req.set('Content-Type', c.raw.contentType).send(c.raw.body);
  } else if (c.json !== undefined) {
    req = req.set('Content-Type', 'application/json').send(JSON.stringify(c.json));
  }
  return req.timeout(20_000);
}

describe('fuzz: malformed requests on every route', () => {
  let t: TestApp;
  let before: Map<string, Buffer>;
  const skip = (rel: string) => rel.startsWith('jobs.sqlite') || rel.startsWith('backbones');

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '2', BDI_MAX_UPLOAD_MB: '1', BDI_MAX_IMAGE_PIXELS: '1000000' });
    await seedFittedModel(t.server, t.modelsDir, 2);
    before = snapshotFiles(t.modelsDir, skip);
  });
  afterAll(async () => t.close());

  it(`answers ${REQUESTS} seeded malformed requests with the contract, no undocumented 5xx, and no data change`, async () => {
    const g = new Gen(SEED);
    const png = await discPng({ size: 64, seed: 3 });
    const images = [
      png,
      png.subarray(0, 60), // truncated PNG
      png.subarray(0, 8), // signature only
      Buffer.alloc(0),
      g.bytes(300),
      Buffer.concat([Buffer.from('BM'), g.bytes(60)]), // broken BMP header
      Buffer.from('GIF89a'),
      await discPng({ width: 2000, height: 600 }), // 1.2 M pixels: over BDI_MAX_IMAGE_PIXELS
    ];
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const started = Date.now();
    for (let i = 0; i < REQUESTS; i++) {
      const c = buildCase(g, images);
      const label = `#${i} ${c.method.toUpperCase()} ${c.path} ${describeCase(c)}`;
      let res: request.Response;
      try {
        res = await send(t, c);
      } catch (error) {
        problems.push(`${label}: no response (${(error as Error).message})`);
        continue;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const type = String(res.headers['content-type'] ?? '');
      if (res.status >= 400 && c.method !== 'head') {
        const body = res.body as Record<string, unknown>;
        if (!/^application\/json/.test(type)) problems.push(`${label}: ${res.status} with content-type ${type}`);
        else if (
          typeof body.code !== 'string' ||
          typeof body.message !== 'string' ||
          typeof body.requestId !== 'string' ||
          !('details' in body) ||
          (body.details !== null && typeof body.details !== 'object')
        ) {
          problems.push(`${label}: ${res.status} body without the contract keys: ${res.text.slice(0, 200)}`);
        }
      }
      if (res.status >= 500 && !(c.method !== 'head' && ALLOWED_5XX.has(String((res.body as { code?: unknown }).code)))) {
        problems.push(`${label}: ${res.status} ${res.text.slice(0, 300)}`);
      }
    }
    const elapsedMs = Date.now() - started;

    expect(problems).toEqual([]);
    // The fuzzer must reach past routing and validation, not only bounce off 404s.
    const count = (pred: (s: number) => boolean) => [...statuses].filter(([s]) => pred(s)).reduce((a, [, n]) => a + n, 0);
    expect(count((s) => s === 400)).toBeGreaterThan(20);
    expect(count((s) => s === 422)).toBeGreaterThan(20);
    expect(count((s) => s === 404 || s === 405)).toBeGreaterThan(10);
    expect(count((s) => s >= 200 && s < 300)).toBeGreaterThan(10);
    expect(elapsedMs).toBeLessThan(60_000);

    expect((await request(t.server).get('/health/live')).status).toBe(200);
    const after = snapshotFiles(t.modelsDir, skip);
    const changed = [...before.keys()].filter((rel) => !after.has(rel) || !after.get(rel)?.equals(before.get(rel) as Buffer));
    expect(changed).toEqual([]);
    expect(before.size).toBeGreaterThanOrEqual(7); // model (3 files), recipe meta, 2 samples + metas
    expect(fs.existsSync(t.modelsDir)).toBe(true);
    process.stderr.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))} in ${elapsedMs} ms\n`);
  }, 120_000);
});
