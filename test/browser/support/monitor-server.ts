import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { startTestApp, TestApp } from '../../e2e/support/test-app';

export interface JobRecord {
  jobId: string;
  status: string;
  task: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  [key: string]: unknown;
}

export interface MonitorServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** JSON request against the real API; resolves with the status and the parsed body. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  createJob(body: Record<string, unknown>): Promise<string>;
  waitForStatus(jobId: string, accept: (status: string) => boolean, timeoutMs?: number): Promise<JobRecord>;
  close(): Promise<void>;
}

/**
 * The real application listening on an ephemeral port: debug sleeps on (to hold a job in `running`), a generous
 * job deadline so the sleeping job stays running until the test cancels it, and room for jobs to run side by side.
 */
export async function startMonitorServer(env: Record<string, string> = {}): Promise<MonitorServer> {
  const testApp: TestApp = await startTestApp({
    BDI_DEBUG_SLEEP: '1',
    JOBS_CONCURRENCY: '4',
    JOB_RUN_TIMEOUT_SECONDS: '60',
    ...env,
  });
  await testApp.app.listen(0, '127.0.0.1');
  const { port } = testApp.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function createJob(body: Record<string, unknown>): Promise<string> {
    const { status, body: accepted } = await api<{ jobId: string }>('POST', '/jobs', body);
    if (status !== 200) throw new Error(`POST /jobs answered ${status}: ${JSON.stringify(accepted)}`);
    return accepted.jobId;
  }

  async function waitForStatus(jobId: string, accept: (status: string) => boolean, timeoutMs = 15_000): Promise<JobRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await api<JobRecord>('GET', `/jobs/${encodeURIComponent(jobId)}`);
      if (accept(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`job ${jobId} stuck in ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return { baseUrl, api, createJob, waitForStatus, close: () => testApp.close() };
}

export const isTerminal = (status: string): boolean => ['done', 'failed', 'canceled', 'timeout'].includes(status);

/** A solid RGB PNG. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** A dark PNG with one bright rectangle (x, y, w, h): a picture with something to detect. */
export function rectanglePng(width: number, height: number, rect: [number, number, number, number]): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3, 24);
  const [rx, ry, rw, rh] = rect;
  for (let y = ry; y < ry + rh; y += 1) {
    for (let x = rx; x < rx + rw; x += 1) pixels.fill(235, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

export async function pngDataUrl(png: Promise<Buffer> | Buffer): Promise<string> {
  return `data:image/png;base64,${(await png).toString('base64')}`;
}
