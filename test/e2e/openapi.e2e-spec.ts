// The OpenAPI document is valid OpenAPI 3 (checked against the official schema) and good enough to drive the API:
// a client that builds its requests from the documented multipart bodies uploads samples and gets an inference.
import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
import { discPng } from './support/inspection-fixtures';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  required?: string[];
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
}

interface Operation {
  requestBody?: { content: Record<string, { schema: Schema & { oneOf?: Schema[] }; examples?: Record<string, { value: Record<string, unknown> }> }> };
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { content?: Record<string, { schema: Schema; examples?: Record<string, { value: { code: string } }> }> }>;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema> };
  };

  /** A schema with its $ref followed (request bodies are named DTO schemas). */
  function resolve(schema: Schema | undefined): Schema | undefined {
    if (!schema?.$ref) return schema;
    return doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  }

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
    const schema = resolve(doc.paths[path].post.requestBody?.content['multipart/form-data']?.schema);
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

  it('documents a request body for every inspection route that takes one', () => {
    for (const path of ['/fit_ok', '/infer', '/datasets/ok/upload', '/datasets/ng/upload']) {
      const schema = resolve(doc.paths[path].post.requestBody?.content['multipart/form-data']?.schema);
      expect(schema?.required).toEqual(expect.arrayContaining(['role_id', 'roi_id']));
    }
    for (const path of ['/calibrate_ng', '/infer_dataset', '/calibrate_dataset']) {
      const schema = resolve(doc.paths[path].post.requestBody?.content['application/json']?.schema);
      expect(schema?.required).toEqual(expect.arrayContaining(['role_id', 'roi_id']));
    }
  });

  it('documents role_id and roi_id as required query parameters and X-Recipe-Id as optional', () => {
    for (const path of ['/state', '/manifest', '/datasets/list']) {
      const params = doc.paths[path].get.parameters ?? [];
      for (const name of ['role_id', 'roi_id']) expect(params).toContainEqual(expect.objectContaining({ name, in: 'query', required: true }));
    }
    for (const [path, method] of [['/infer', 'post'], ['/state', 'get'], ['/datasets/list', 'get']]) {
      const header = (doc.paths[path][method].parameters ?? []).find((p) => p.name.toLowerCase() === 'x-recipe-id');
      expect(header).toMatchObject({ in: 'header', required: false });
    }
  });

  it('documents a 200 schema for every inspection and dataset route', () => {
    const routes: Array<[string, string]> = [
      ['/fit_ok', 'post'], ['/calibrate_ng', 'post'], ['/infer', 'post'], ['/infer_dataset', 'post'], ['/calibrate_dataset', 'post'],
      ['/manifest', 'get'], ['/state', 'get'], ['/datasets/ok/upload', 'post'], ['/datasets/list', 'get'], ['/datasets/clear', 'delete'],
    ];
    for (const [path, method] of routes) {
      const schema = resolve(doc.paths[path][method].responses['200']?.content?.['application/json']?.schema);
      expect(schema?.properties).toBeDefined();
    }
    const infer = resolve(doc.paths['/infer'].post.responses['200'].content!['application/json'].schema);
    expect(Object.keys(infer!.properties!)).toEqual(expect.arrayContaining(['score', 'threshold', 'decision', 'regions', 'heatmap_png_base64']));
  });

  it('gives every error status examples whose codes answer with that status', () => {
    const responses = doc.paths['/infer'].post.responses;
    const codesOf = (status: string) => Object.values(responses[status].content!['application/json'].examples!).map((e) => e.value.code);
    expect(codesOf('404')).toEqual(expect.arrayContaining(['not_found', 'job_not_found', 'model_not_found']));
    expect(codesOf('404')).not.toContain('validation_error');
    expect(codesOf('500')).toContain('internal_error');
    expect(codesOf('422')).toEqual(['validation_error', 'idempotency_key_conflict']);
  });

  it('documents POST /jobs as a union discriminated by task, whose examples are accepted', async () => {
    const body = doc.paths['/jobs'].post.requestBody!.content['application/json'];
    expect(body.schema.oneOf).toHaveLength(5);
    const examples = Object.entries(body.examples!);
    expect(examples.map(([task]) => task).sort()).toEqual(['calibrate-dataset', 'detect-objects', 'fit-ok', 'infer', 'infer-dataset']);
    for (const [, example] of examples) {
      const res = await request(t.server).post('/jobs').send(example.value);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('pending');
    }
  });
});
