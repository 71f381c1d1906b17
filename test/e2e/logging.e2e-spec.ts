// The service's stdout as an operator reads it: LOG_FORMAT=pretty gives the boot banner and human-readable lines
// (a 404 at WARN with its code and request id); by default, with stdout not a terminal (a pipe here, as under a log
// collector), every line is JSON, and a job's life reads from it: created, started, progress milestones, then done,
// canceled or timed out with its duration. The real compiled service (dist/src/main.js) in a child process.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discPng } from './support/inspection-fixtures';

const MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');

interface Running {
  child: ChildProcess;
  stdout: () => string;
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>;
  stop: () => Promise<void>;
}

function startService(root: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      BDI_BACKEND_HOST: '127.0.0.1',
      BDI_BACKEND_PORT: '0',
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const match = out.match(pattern);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${String(pattern)} in stdout:\n${out}\nstderr:\n${err}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, stdout: () => out, waitFor, stop };
}

describe('log output', () => {
  let root: string;
  let running: Running | null = null;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-logging-'));
  });
  afterEach(async () => {
    await running?.stop();
    running = null;
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('LOG_FORMAT=pretty: the banner with the URLs, then one readable line per request', async () => {
    running = startService(root, { LOG_FORMAT: 'pretty' });
    const [, api] = await running.waitFor(/^ {2}API {6}(http:\/\/127\.0\.0\.1:\d+)$/m);
    await running.waitFor(/^ {2}Monitor {2}http:\/\/127\.0\.0\.1:\d+\/monitor$/m);
    expect(running.stdout()).toMatch(new RegExp(`^ {2}Docs {5}${api}/docs$`, 'm'));
    const res = await fetch(`${api}/no-such-route`, { headers: { 'X-Request-Id': 'pretty-404' } });
    expect(res.status).toBe(404);
    const [line] = await running.waitFor(/^.*GET \/no-such-route 404.*$/m);
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}GET \/no-such-route 404 \d+ ms not_found {2}.*\berrorCode=not_found\b/);
    expect(line).toContain('requestId=pretty-404');
    // Nothing on stdout is raw JSON.
    expect(running.stdout().split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 90_000);

  it('by default, with stdout a pipe, every line is JSON and the boot line names the URLs', async () => {
    running = startService(root, {});
    const [bootLine] = await running.waitFor(/^\{.*"msg":"listening on .*$/m);
    const boot = JSON.parse(bootLine) as Record<string, unknown>;
    expect(boot.monitor).toBe(`${boot.api as string}/monitor`);
    expect(boot.docs).toBe(`${boot.api as string}/docs`);
    const res = await fetch(`${boot.api as string}/no-such-route`);
    expect(res.status).toBe(404);
    const [line] = await running.waitFor(/^.*GET \/no-such-route 404.*$/m);
    expect(JSON.parse(line)).toMatchObject({ level: 40, errorCode: 'not_found', res: { statusCode: 404 } });
    const lines = running.stdout().split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => { try { JSON.parse(l); return false; } catch { return true; } })).toEqual([]);
  }, 90_000);

  it('logs the life of each job: created, started, progress milestones, done / canceled / timed out with durations', async () => {
    running = startService(root, { BDI_DEBUG_SLEEP: '1', JOB_RUN_TIMEOUT_SECONDS: '2', BDI_MIN_OK_SAMPLES: '2', JOBS_CONCURRENCY: '3' });
    const [bootLine] = await running.waitFor(/^\{.*"msg":"listening on .*$/m);
    const api = (JSON.parse(bootLine) as { api: string }).api;
    const post = async (route: string, body?: unknown) => {
      const res = await fetch(api + route, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect(res.status).toBe(200);
      return (await res.json()) as { jobId: string };
    };
    const image = `data:image/png;base64,${(await discPng({ seed: 1, size: 32 })).toString('base64')}`;
    for (let i = 0; i < 2; i++) {
      const form = new FormData();
      form.append('role_id', 'Inspection');
      form.append('roi_id', 'log-roi');
      form.append('metas', JSON.stringify({ mm_per_px: 0.2 }));
      form.append('images', new Blob([await discPng({ seed: 10 + i, size: 32 })], { type: 'image/png' }), `ok${i}.png`);
      expect((await fetch(`${api}/datasets/ok/upload`, { method: 'POST', body: form })).status).toBe(200);
    }
    const done = await post('/jobs', { task: 'detect-objects', imageBase64: image });
    const timedOut = await post('/jobs', { task: 'detect-objects', imageBase64: image, debugSleepMs: 20_000 });
    const canceled = await post('/jobs', { task: 'detect-objects', imageBase64: image, debugSleepMs: 20_000 });
    await running.waitFor(new RegExp(`"jobId":"${canceled.jobId}"[^\n]*"msg":"job started"`));
    await post(`/jobs/${canceled.jobId}/cancel`);
    const fit = await post('/jobs', { task: 'fit-ok', role_id: 'Inspection', roi_id: 'log-roi', mm_per_px: 0.2, use_dataset: true });

    const entries = async (jobId: string, last: string) => {
      await running!.waitFor(new RegExp(`"jobId":"${jobId}"[^\n]*"msg":"${last}"`));
      return running!
        .stdout()
        .split('\n')
        .filter((l) => l.includes(`"jobId":"${jobId}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const summary = (list: Array<Record<string, unknown>>) => list.map((e) => [e.level, e.msg]);

    expect(summary(await entries(done.jobId, 'job done'))).toEqual([[30, 'job created'], [30, 'job started'], [30, 'job done']]);
    const doneLine = (await entries(done.jobId, 'job done')).pop()!;
    expect(doneLine).toMatchObject({ task: 'detect-objects', status: 'done' });
    expect(typeof doneLine.durationMs).toBe('number');

    expect(summary(await entries(timedOut.jobId, 'job timed out'))).toEqual([[30, 'job created'], [30, 'job started'], [40, 'job timed out']]);
    expect((await entries(timedOut.jobId, 'job timed out')).pop()).toMatchObject({ status: 'timeout', errorCode: 'job_timeout' });
    expect((await entries(timedOut.jobId, 'job timed out')).pop()!.durationMs as number).toBeGreaterThanOrEqual(2000);

    expect(summary(await entries(canceled.jobId, 'job canceled'))).toEqual([[30, 'job created'], [30, 'job started'], [30, 'job canceled']]);
    expect((await entries(canceled.jobId, 'job canceled')).pop()).toMatchObject({ status: 'canceled', errorCode: 'job_canceled' });

    const fitLog = await entries(fit.jobId, 'job done');
    expect(fitLog[0]).toMatchObject({ msg: 'job created', task: 'fit-ok', roleId: 'Inspection', roiId: 'log-roi', recipeId: 'default' });
    const progress = fitLog.filter((e) => e.msg === 'job progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const p of progress) {
      expect(typeof p.phase).toBe('string');
      expect(p.done as number).toBeLessThanOrEqual(p.total as number);
    }
    expect(fitLog[fitLog.length - 1]).toMatchObject({ msg: 'job done', status: 'done' });
  }, 120_000);
});
