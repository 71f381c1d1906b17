// Small helpers for the jobs/detection e2e suites.
import request from 'supertest';
import type { TestApp } from './test-app';

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const TERMINAL = ['done', 'failed', 'canceled', 'timeout'];
export const ITEM_KEYS = ['createdAt', 'error', 'errorCode', 'finishedAt', 'jobId', 'node', 'progress', 'recipeId', 'retryOf', 'roiId', 'roleId', 'startedAt', 'status', 'task'];

export type Body = Record<string, unknown>;

export function expectContractError(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(Object.keys(res.body).sort()).toEqual(['code', 'details', 'message', 'requestId']);
  expect(typeof res.body.requestId).toBe('string');
  expect(res.body.details === null || typeof res.body.details === 'object').toBe(true);
}

export async function createJob(t: TestApp, body: Body, headers: Record<string, string> = {}): Promise<request.Response> {
  let req = request(t.server).post('/jobs');
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  return req.send({ task: 'detect-objects', ...body });
}

export async function createJobId(t: TestApp, body: Body): Promise<string> {
  const res = await createJob(t, body);
  expect(res.status).toBe(200);
  return res.body.jobId as string;
}

export async function getJob(t: TestApp, jobId: string): Promise<request.Response> {
  return request(t.server).get(`/jobs/${jobId}`);
}

/** Polls GET /jobs/{id} until `until(status)` holds; returns the last body. */
export async function waitForJob(
  t: TestApp,
  jobId: string,
  until: (status: string) => boolean = (s) => TERMINAL.includes(s),
  timeoutMs = 5000,
): Promise<Body> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await getJob(t, jobId);
    if (res.status === 200 && until(res.body.status as string)) return res.body as Body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body.status ?? res.status} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every job id in GET /jobs, walking pages of `limit` (optionally calling `between` after each page). */
export async function walkJobs(
  t: TestApp,
  query: Record<string, string> = {},
  between?: () => Promise<void>,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const res: request.Response = await request(t.server)
      .get('/jobs')
      .query({ ...query, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    ids.push(...(res.body.items as Array<{ jobId: string }>).map((i) => i.jobId));
    cursor = res.body.nextCursor as string | null;
    if (cursor === null) return ids;
    if (between) await between();
  }
  throw new Error('too many pages');
}
