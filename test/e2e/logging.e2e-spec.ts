// The service's stdout as an operator reads it: LOG_FORMAT=pretty gives the boot banner and human-readable lines
// (a 404 at WARN with its code and request id); by default, with stdout not a terminal (a pipe here, as under a log
// collector), every line is JSON. The real compiled service (dist/src/main.js) in a child process.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
});
