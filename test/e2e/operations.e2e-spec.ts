import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

describe('operations: /metrics and the optional API key', () => {
  describe('metrics', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => t.close());

    it('exposes HTTP latency histograms labelled by route template and status', async () => {
      await request(t.server).get('/health');
      await request(t.server).get('/no-such-route');
      const res = await request(t.server).get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/bdi_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} 1\b/);
      expect(res.text).toMatch(/bdi_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1\b/);
      expect(res.text).toContain('bdi_process_resident_memory_bytes');
    });
  });

  describe('API key', () => {
    let t: TestApp;
    const key = 's3cret-key';
    beforeAll(async () => {
      t = await startTestApp({ BDI_API_KEY: key });
    });
    afterAll(async () => t.close());

    it('answers 401 in the error contract without a key', async () => {
      const res = await request(t.server).get('/health');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(res.headers['www-authenticate']).toContain('Bearer');
    });

    it('rejects a wrong key, including a prefix of the right one', async () => {
      expect((await request(t.server).get('/health').set('X-API-Key', 'wrong')).status).toBe(401);
      expect((await request(t.server).get('/health').set('X-API-Key', key.slice(0, -1))).status).toBe(401);
      expect((await request(t.server).get('/health').set('Authorization', `Basic ${key}`)).status).toBe(401);
    });

    it('accepts the key as a Bearer token or as X-API-Key', async () => {
      expect((await request(t.server).get('/health').set('Authorization', `Bearer ${key}`)).status).toBe(200);
      expect((await request(t.server).get('/health').set('X-API-Key', key)).status).toBe(200);
    });

    it('keeps /health/live open', async () => {
      expect((await request(t.server).get('/health/live')).status).toBe(200);
    });

    it('protects unknown routes too (401 before 404)', async () => {
      expect((await request(t.server).get('/nope')).status).toBe(401);
    });
  });
});
