import { Controller, Get, Module } from '@nestjs/common';
import request from 'supertest';
import { readDiagnostics, startTestApp, TestApp, UUID_V4 } from './support/test-app';

@Controller('test-probe')
class ProbeController {
  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail at /srv/app.ts:42');
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const CONTRACT_KEYS = ['code', 'details', 'message', 'requestId'];

function expectContract(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.code).toBe(code);
  expect(typeof res.body.message).toBe('string');
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  expect(res.body.details === null || typeof res.body.details === 'object').toBe(true);
}

describe('foundation: error contract, request ids, health, CORS, OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ BDI_MAX_UPLOAD_MB: '0.05' }, { extraModules: [ProbeModule] });
  });
  afterAll(async () => t.close());

  describe('request ids', () => {
    it('echoes a well-formed X-Request-Id in the header and both body keys of /health', async () => {
      const res = await request(t.server).get('/health').set('X-Request-Id', 'abc.1:2-3_4');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('abc.1:2-3_4');
      expect(res.body.request_id).toBe('abc.1:2-3_4');
      expect(res.body.requestId).toBe('abc.1:2-3_4');
    });

    it('replaces a malformed X-Request-Id with a UUIDv4', async () => {
      const res = await request(t.server).get('/health').set('X-Request-Id', 'bad id with spaces');
      expect(res.headers['x-request-id']).toMatch(UUID_V4);
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    });

    it('generates a different id per request when none is sent', async () => {
      const a = await request(t.server).get('/health/live');
      const b = await request(t.server).get('/health/live');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
      expect(a.body.requestId).toBe(a.headers['x-request-id']);
    });

    it('rejects an over-long id (129 chars) and accepts 128', async () => {
      const ok = 'a'.repeat(128);
      expect((await request(t.server).get('/health/live').set('X-Request-Id', ok)).headers['x-request-id']).toBe(ok);
      const tooLong = 'a'.repeat(129);
      expect((await request(t.server).get('/health/live').set('X-Request-Id', tooLong)).headers['x-request-id']).toMatch(UUID_V4);
    });
  });

  describe('health', () => {
    it('answers the merged fields of both originals', async () => {
      const res = await request(t.server).get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        device: 'cpu',
        reason: 'cuda_not_available',
        version: '0.1.0',
        service: 'bdi-backend',
        recipe_id: 'default',
        jobRunTimeoutSec: 8,
        model: 'builtin-texture',
        workers: 1,
        ready: true,
      });
      for (const key of ['model', 'workers', 'jobsInMemory', 'idempotencyKeysInMemory', 'ready', 'jobs']) {
        expect(res.body).toHaveProperty(key);
      }
    });

    it('normalises X-Recipe-Id (trim, lowercase)', async () => {
      const res = await request(t.server).get('/health').set('X-Recipe-Id', ' DefaultLayout ');
      expect(res.status).toBe(200);
      expect(res.body.recipe_id).toBe('defaultlayout');
    });

    it('rejects the reserved recipe "last" with a 400 in the contract plus legacy keys', async () => {
      const res = await request(t.server).get('/health').set('X-Recipe-Id', 'Last');
      expectContract(res, 400, 'invalid_recipe_id');
      expect(res.body.error).toContain('reserved');
      expect(res.body.error).toContain("'Last'");
      expect(res.body.request_id).toBe(res.body.requestId);
      expect(res.body.recipe_id).toBe('default');
    });

    it('rejects a recipe outside the pattern with the Allowed message', async () => {
      const res = await request(t.server).get('/health').set('X-Recipe-Id', 'My Layout');
      expectContract(res, 400, 'invalid_recipe_id');
      expect(res.body.message).toBe("Invalid recipe_id 'My Layout'. Allowed: [a-z0-9][a-z0-9_-]{0,63}.");
    });

    it('is ready once the worker pool loaded the backbone', async () => {
      const res = await request(t.server).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ready');
    });

    it('is live at /health/live', async () => {
      const res = await request(t.server).get('/health/live');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
    });
  });

  describe('error contract', () => {
    it('answers an unknown route with 404 not_found in JSON', async () => {
      const res = await request(t.server).get('/no-such-route');
      expectContract(res, 404, 'not_found');
      expect(Object.keys(res.body).sort()).toEqual(CONTRACT_KEYS);
      expect(res.body.details).toEqual({ path: '/no-such-route' });
    });

    it('answers a wrong method on a known path with 405 and an Allow header', async () => {
      const res = await request(t.server).delete('/health');
      expectContract(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.body.error).toBe('Method Not Allowed');
    });

    it('answers a bare OPTIONS (no preflight headers) on a known path with 405', async () => {
      const res = await request(t.server).options('/health/live');
      expectContract(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('GET, HEAD');
    });

    it('answers a bare OPTIONS on an unknown path with 404', async () => {
      const res = await request(t.server).options('/nope');
      expectContract(res, 404, 'not_found');
    });

    it('maps malformed JSON to 422 validation_error', async () => {
      const res = await request(t.server).post('/health').set('Content-Type', 'application/json').send('{bad');
      expectContract(res, 422, 'validation_error');
      expect(res.body.details.errors[0].loc).toEqual(['body']);
    });

    it('maps an oversized JSON body to 413 payload_too_large', async () => {
      const res = await request(t.server)
        .post('/health')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ blob: 'x'.repeat(200 * 1024) }));
      expectContract(res, 413, 'payload_too_large');
    });

    it('maps an unexpected exception to 500 internal_error without leaking the stack', async () => {
      const res = await request(t.server).get('/test-probe/boom');
      expectContract(res, 500, 'internal_error');
      expect(res.body.message).toBe('Internal server error');
      expect(JSON.stringify(res.body)).not.toContain('secret');
      expect(JSON.stringify(res.body)).not.toContain('.ts:');
    });

    it('gives every error a fresh request id', async () => {
      const a = await request(t.server).get('/nope');
      const b = await request(t.server).get('/nope');
      expect(a.body.requestId).not.toBe(b.body.requestId);
    });
  });

  describe('CORS', () => {
    it('answers a preflight with the allowed methods and echoed headers', async () => {
      const res = await request(t.server)
        .options('/jobs')
        .set('Origin', 'http://localhost:4173')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-request-id');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-methods']).toContain('POST');
      expect(res.headers['access-control-allow-headers']).toBe('content-type,x-request-id');
      expect(res.headers['access-control-max-age']).toBe('600');
    });

    it('adds the allow-origin and exposes X-Request-Id on errors too', async () => {
      const res = await request(t.server).get('/nope').set('Origin', 'http://localhost:4173');
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    });
  });

  describe('OpenAPI', () => {
    it('serves the document at /docs-json with the error schema on every operation', async () => {
      const res = await request(t.server).get('/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.components.schemas.ErrorResponse.required).toEqual(['code', 'message', 'requestId', 'details']);
      const health = res.body.paths['/health'].get;
      expect(health.responses['422'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    });

    it('serves Swagger UI at /docs', async () => {
      const res = await request(t.server).get('/docs');
      expect(res.status).toBe(200);
      expect(res.text).toContain('swagger');
    });
  });

  it('sends no ETag on JSON responses (the original sent none)', async () => {
    const res = await request(t.server).get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBeUndefined();
  });

  describe('diagnostics JSONL', () => {
    it('writes an http event per request with its request id', async () => {
      await request(t.server).get('/health').set('X-Request-Id', 'diag-probe-1');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const event = readDiagnostics(t.logDir).find((e) => e.event === 'http' && e.request_id === 'diag-probe-1');
      expect(event).toMatchObject({ method: 'GET', path: '/health', status_code: 200, recipe_id: 'default', pid: process.pid });
      expect(typeof event?.ts).toBe('number');
      expect(typeof event?.elapsed_ms).toBe('number');
    });
  });
});
