import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../../config/app-config';
import { bootBannerLines, baseUrl } from './boot-banner';
import { httpLogOptions } from './http-log-options';

const req = { method: 'POST', url: '/infer' } as IncomingMessage;
const res = (statusCode: number, errorCode?: string) => ({ statusCode, locals: errorCode ? { errorCode } : {} }) as unknown as ServerResponse;

describe('request log lines', () => {
  const options = httpLogOptions();
  const level = (status: number, err?: Error) => (options.customLogLevel as (q: IncomingMessage, r: ServerResponse, e?: Error) => string)(req, res(status), err);

  it('logs 2xx/3xx at info, 4xx at warn and 5xx at error', () => {
    expect([200, 304, 400, 404, 422, 500, 503].map((s) => level(s))).toEqual(['info', 'info', 'warn', 'warn', 'warn', 'error', 'error']);
    expect(level(200, new Error('x'))).toBe('error');
  });

  it('names the error code in the line and as a field, and never carries headers', () => {
    const failed = res(404, 'not_found');
    expect((options.customSuccessMessage as (q: IncomingMessage, r: ServerResponse, ms: number) => string)(req, failed, 3)).toBe('POST /infer 404 3 ms not_found');
    expect((options.customProps as (q: IncomingMessage, r: ServerResponse) => object)(req, failed)).toEqual({ errorCode: 'not_found' });
    expect((options.customProps as (q: IncomingMessage, r: ServerResponse) => object)(req, res(200))).toEqual({});
    const serialized = (options.serializers!.req as (r: unknown) => unknown)({ method: 'GET', url: '/x', headers: { authorization: 'Bearer k' } });
    expect(serialized).toEqual({ method: 'GET', url: '/x' });
  });
});

describe('boot banner', () => {
  const config = { version: '1.2.3', server: { host: '0.0.0.0' }, storage: { modelsDir: '/srv/models' } } as AppConfig;

  it('gives the URLs of the API, the docs and the monitor (a wildcard address through the loopback)', () => {
    expect(baseUrl(config, 8123)).toBe('http://127.0.0.1:8123');
    const lines = bootBannerLines(config, 8123, { backbone: 'builtin-texture', device: 'cpu', workers: 2, diagnosticsFile: '/srv/models/logs/d.jsonl' });
    expect(lines[0]).toBe('BDI backend 1.2.3 ready: backbone builtin-texture on cpu, 2 worker(s)');
    expect(lines).toContain('  Docs     http://127.0.0.1:8123/docs');
    expect(lines).toContain('  Monitor  http://127.0.0.1:8123/monitor');
    expect(lines.length).toBeLessThanOrEqual(8);
  });
});
