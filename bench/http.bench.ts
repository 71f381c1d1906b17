// HTTP /infer as a client sees it: the real server (dist/src/main.js) in its own process, so the bench's client
// does not share the server's main thread; one 448×448 ROI with the circle shape, heatmap and regions included.
// Reports first-request latency (the first /infer after /health/ready), sequential p50/p99 (fetch streaming a fresh
// FormData per request, alternating with the same bytes encoded once as the GUI's client sends them), req/s with 1/2/4/8
// clients and the scaling ratio (8 clients ÷ 1), and (Linux) the server's CPU time per request: its main thread's and
// the whole process's, which the machine's other load does not inflate the way it does wall times. The request asks
// for the heatmap (`--no-heatmap`: only with an NG decision, as the GUI's default). `--cpu-prof DIR` profiles the server's main thread (V8
// --cpu-prof, whole server life, written at exit; the load phases dominate it) and reports its top self times.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discPng, freePort, inferForm, latencyStats, type LatencyStats, type LoadPhase, loadPhase, progress, round, seedModel, sleep } from './bench-support';

const ROI = 448;
/** Sequential requests of each client kind (interleaved): enough for a p50 that a few slow ones do not move. */
const SEQUENTIAL_REQUESTS = 100;

export interface HttpBenchOptions {
  workers?: number;
  /** Seconds per concurrency level. */
  seconds?: number;
  clients?: number[];
  /** Directory for the server's main-thread .cpuprofile (node --cpu-prof). */
  cpuProfDir?: string;
  /** Extra server environment (BDI_BATCH_MAX, ...). */
  env?: Record<string, string>;
  /** include_heatmap=true on every request (default). */
  heatmap?: boolean;
}

/** Server CPU per request of one phase (Linux /proc; absent elsewhere). */
export interface ServerCpu {
  mainThreadMsPerRequest: number;
  processMsPerRequest: number;
}

export type HttpLoadPhase = LoadPhase & { serverCpu?: ServerCpu };

export interface HttpBenchResult {
  roi: [number, number];
  cpus: number;
  workers: number;
  env: Record<string, string>;
  loadAverage: number[];
  /** Process start → /health/ready answers 200. */
  readyAfterMs: number;
  /** The first /infer after readiness (model load included; backbone already warm when warm-up runs). */
  firstRequestMs: number;
  heatmap?: boolean;
  /** One request at a time, each body a fresh FormData that fetch streams (the load phases' client too). */
  sequential: LatencyStats;
  sequentialServerCpu?: ServerCpu;
  /**
   * One request at a time, the same multipart bytes encoded once and sent as a buffer, as the GUI's HTTP client
   * (Python requests) sends them: the server's latency without fetch's per-request FormData streaming.
   */
  sequentialPrebuilt?: LatencyStats;
  concurrency: HttpLoadPhase[];
  /** req/s with the most clients ÷ req/s with one. */
  scaling: number;
  /** Top self-time entries of the server's main thread, when profiled. */
  mainThreadProfile?: Array<{ function: string; url: string; selfMs: number; share: number }>;
}

async function waitReady(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error('server not ready in time');
}

/** CPU time (ms) used so far by the server process and by its main thread (tid = pid); null without /proc. */
function cpuMs(pid: number): { process: number; main: number } | null {
  const ticks = (file: string): number => {
    const stat = fs.readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  };
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return { process: (ticks(`/proc/${pid}/stat`) * 1000) / hz, main: (ticks(`/proc/${pid}/task/${pid}/stat`) * 1000) / hz };
  } catch {
    return null;
  }
}

/** Runs `work` (which makes `count()` requests) and divides the server's CPU time by them. */
async function withServerCpu<T>(pid: number | undefined, work: () => Promise<T>, count: (result: T) => number): Promise<{ result: T; cpu?: ServerCpu }> {
  const before = pid === undefined ? null : cpuMs(pid);
  const result = await work();
  const after = pid === undefined ? null : cpuMs(pid);
  const n = count(result);
  if (!before || !after || n === 0) return { result };
  return { result, cpu: { mainThreadMsPerRequest: round((after.main - before.main) / n), processMsPerRequest: round((after.process - before.process) / n) } };
}

/** Self time per function of a V8 .cpuprofile, top `n`. */
export function topSelfTime(profilePath: string, n = 12): NonNullable<HttpBenchResult['mainThreadProfile']> {
  const prof = JSON.parse(fs.readFileSync(profilePath, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { fn: string; url: string; us: number }>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    if (!node) return;
    const fn = node.callFrame.functionName || '(anonymous)';
    const url = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const key = `${fn}@${url}:${node.callFrame.lineNumber}`;
    const entry = self.get(key) ?? { fn, url: url ? `${url}:${node.callFrame.lineNumber + 1}` : '', us: 0 };
    entry.us += dt;
    self.set(key, entry);
  });
  return [...self.values()]
    .filter((e) => e.fn !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ function: e.fn, url: e.url, selfMs: round(e.us / 1000, 1), share: round(e.us / Math.max(1, total), 3) }));
}

export async function runHttpBench(options: HttpBenchOptions = {}): Promise<HttpBenchResult> {
  const workers = options.workers ?? Math.max(1, os.availableParallelism());
  const seconds = options.seconds ?? 8;
  const levels = options.clients ?? [1, 2, 4, 8];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-http-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { BDI_WORKERS: String(workers), BDI_MIN_OK_SAMPLES: '4', ...(options.env ?? {}) };
  const repo = path.resolve(__dirname, '..', '..');
  // Absolute: the server runs in its own temporary directory, removed at the end.
  const profDir = options.cpuProfDir ? path.resolve(options.cpuProfDir) : undefined;
  const args = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), path.join(repo, 'dist', 'src', 'main.js')];
  if (profDir) fs.mkdirSync(profDir, { recursive: true });
  const before = profDir ? new Set(fs.readdirSync(profDir)) : new Set<string>();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_GUI_LOG_DIR: path.join(root, 'logs'),
      BDI_CONFIG_FILE: '',
      LOG_LEVEL: 'silent',
      BDI_BACKEND_HOST: '127.0.0.1',
      BDI_BACKEND_PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitReady(base, child, 120_000);
    const readyAfterMs = performance.now() - started;
    progress(`http: server ready after ${Math.round(readyAfterMs)} ms; seeding a model`);
    await seedModel(base, ROI, 4);
    const png = await discPng(ROI, 77, true);
    const heatmap = options.heatmap ?? true;
    const once = async (): Promise<{ ms: number; status: number }> => {
      const t0 = performance.now();
      const res = await fetch(`${base}/infer`, { method: 'POST', body: inferForm(png, ROI, heatmap) });
      await res.arrayBuffer();
      return { ms: performance.now() - t0, status: res.status };
    };
    const firstRequestMs = (await once()).ms;
    for (let i = 0; i < workers * 4; i++) await once(); // every worker has the memory loaded
    const encoded = new Request(`${base}/infer`, { method: 'POST', body: inferForm(png, ROI, heatmap) });
    const prebuilt = { body: new Uint8Array(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' };
    const oncePrebuilt = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${base}/infer`, { method: 'POST', body: prebuilt.body, headers: { 'content-type': prebuilt.contentType } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`prebuilt /infer answered ${res.status}`);
      return performance.now() - t0;
    };
    // The two clients alternate, so a change in the machine's load reaches both alike.
    const prebuiltMs: number[] = [];
    const seq = await withServerCpu(
      child.pid,
      async () => {
        const ms: number[] = [];
        for (let i = 0; i < SEQUENTIAL_REQUESTS; i++) {
          ms.push((await once()).ms);
          prebuiltMs.push(await oncePrebuilt());
        }
        return ms;
      },
      (ms) => ms.length + prebuiltMs.length,
    );
    const concurrency: HttpLoadPhase[] = [];
    for (const clients of levels) {
      progress(`http: ${clients} client(s) for ${seconds} s`);
      const phase = await withServerCpu(child.pid, () => loadPhase(clients, seconds, once), (p) => p.latency.count);
      concurrency.push(phase.cpu ? { ...phase.result, serverCpu: phase.cpu } : phase.result);
    }
    const first = concurrency[0]?.requestsPerSecond ?? 0;
    const last = concurrency[concurrency.length - 1]?.requestsPerSecond ?? 0;
    const result: HttpBenchResult = {
      roi: [ROI, ROI],
      cpus: os.availableParallelism(),
      workers,
      env,
      loadAverage: os.loadavg().map((l) => round(l)),
      readyAfterMs: round(readyAfterMs),
      firstRequestMs: round(firstRequestMs),
      heatmap,
      sequential: latencyStats(seq.result),
      ...(seq.cpu ? { sequentialServerCpu: seq.cpu } : {}),
      sequentialPrebuilt: latencyStats(prebuiltMs),
      concurrency,
      scaling: first > 0 ? round(last / first) : 0,
    };
    await stop(child);
    if (profDir) {
      const fresh = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
      if (fresh.length > 0) result.mainThreadProfile = topSelfTime(path.join(profDir, fresh[0]));
    }
    return result;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** SIGTERM and wait: --cpu-prof writes its profile on a clean exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
}
