// The OpenAPI document is valid OpenAPI 3 (checked against the official schema) and good enough to drive the API:
// a client that builds its requests from the documented multipart bodies uploads samples and gets an inference.
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
import { discPng } from './support/inspection-fixtures';

interface Schema {
  type?: string;
  format?: string;
  required?: string[];
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> };

  beforeAll(async () => {
    t = await startTestApp({ BDI_MIN_OK_SAMPLES: '10' });
    doc = (await request(t.server).get('/docs-json')).body;
  });
  afterAll(async () => t.close());

  it('validates against the OpenAPI 3 schema', () => {
    // The validator is an ES module; jest runs CommonJS, so it runs in a child Node process.
    const script = `import { Validator } from '@seriousme/openapi-schema-validator';
      let text = ''; for await (const chunk of process.stdin) text += chunk;
      const result = await new Validator().validate(JSON.parse(text));
      process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? null }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(doc), cwd: __dirname });
    expect(JSON.parse(out.toString())).toEqual({ valid: true, errors: null });
    expect(doc.openapi).toMatch(/^3\./);
  });

  /** A multipart request built only from the documented schema: every required field from its example, files as PNGs. */
  async function fromDocumentedShape(path: string, overrides: Record<string, string>, png: () => Promise<Buffer>): Promise<request.Response> {
    const schema = doc.paths[path].post.requestBody?.content['multipart/form-data']?.schema;
    expect(schema?.required?.length).toBeGreaterThan(0);
    let req = request(t.server).post(path);
    for (const name of schema!.required!) {
      const prop = schema!.properties![name];
      const isFile = prop.format === 'binary' || prop.items?.format === 'binary';
      if (isFile) req = req.attach(name, await png(), { filename: `${name}.png`, contentType: 'image/png' });
      else req = req.field(name, overrides[name] ?? String(prop.example));
    }
    for (const [name, value] of Object.entries(overrides)) if (!schema!.required!.includes(name)) req = req.field(name, value);
    return req;
  }

  it('drives /datasets/ok/upload and /infer from the documented multipart bodies', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fromDocumentedShape('/datasets/ok/upload', { metas: '{"mm_per_px":0.2}' }, () => discPng({ seed: 40 + i, size: 64 }));
      expect(res.status).toBe(200);
    }
    const fit = await request(t.server).post('/fit_ok').field('role_id', 'Inspection').field('roi_id', 'inspection-1').field('mm_per_px', '0.2').field('use_dataset', 'true');
    expect(fit.status).toBe(200);
    const calib = await request(t.server).post('/calibrate_dataset').send({ role_id: 'Inspection', roi_id: 'inspection-1', default_mm_per_px: 0.2, require_ng: false });
    expect(calib.status).toBe(200);
    const infer = await fromDocumentedShape('/infer', {}, () => discPng({ seed: 99, size: 64 }));
    expect(infer.status).toBe(200);
    expect(typeof infer.body.score).toBe('number');
    expect(infer.body.threshold).toBe(calib.body.threshold);
  });
});
