// Soak: a mixed load for a fixed time against the real application started in-process on 127.0.0.1 (ephemeral
// port): `clients` concurrent loops, each request one of synchronous /infer (fitted synthetic model, circle mask),
// a `detect-objects` job or an `infer` job (create + poll to completion). Reports throughput, latency per kind,
// errors (503 back-pressure counted apart), and whether memory stays flat: mean RSS of the last window against the
// first window after warm-up. The server and the clients share the process, so RSS includes both (clients are
// steady-state too). Stops by itself at the deadline; each request is bounded by a timeout.
import * as os from 'node:os';
import { BENCH_MODEL, circleShape, discPng, inferForm, latencyStats, LatencyStats, progress, round, seedModel, sleep, startBenchApp } from './bench-support';

type Kind = 'infer' | 'detectJob' | 'inferJob';
const KINDS: readonly Kind[] = ['infer', 'detectJob', 'inferJob'];
// Two synchronous inferences per job of each kind.
const MIX: readonly Kind[] = ['infer', 'infer', 'detectJob', 'inferJob'];
const ROI = 128;
const REQUEST_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

export interface SoakOptions {
  minutes?: number;
  clients?: number;
  /** Seconds excluded from the memory comparison while caches, JIT and pools fill; default min(60, 15 % of the run). */
  warmupSeconds?: number;
}

export interface MemoryPoint {
  rssMb: number;
  heapUsedMb: number;
}

export interface SoakResult {
  minutes: number;
  clients: number;
  workers: number;
  cpus: number;
  loadAverage: { start: number[]; end: number[] };
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latency: Record<Kind, LatencyStats>;
  errors: number;
  errorSamples: string[];
  overloaded503: number;
  memory: {
    start: MemoryPoint;
    afterWarmup: MemoryPoint;
    end: MemoryPoint;
    windowSeconds: number;
    firstWindowMeanRssMb: number;
    lastWindowMeanRssMb: number;
    rssGrowthMb: number;
    rssGrowthPercent: number;
    firstWindowMeanHeapMb: number;
    lastWindowMeanHeapMb: number;
  };
}

function memoryPoint(): MemoryPoint {
  const m = process.memoryUsage();
  return { rssMb: round(m.rss / 1048576, 1), heapUsedMb: round(m.heapUsed / 1048576, 1) };
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function runSoakBench(options: SoakOptions = {}): Promise<SoakResult> {
  const minutes = options.minutes ?? 10;
  const clients = options.clients ?? 16;
  const durationMs = minutes * 60_000;
  const warmupMs = (options.warmupSeconds ?? Math.min(60, minutes * 60 * 0.15)) * 1000;
  const loadStart = os.loadavg().map((l) => round(l));
  const start = memoryPoint();
  // Default workers and queue (workers × 16): 16 clients never fill the queue, so 503 means a regression.
  const app = await startBenchApp({ BDI_MIN_OK_SAMPLES: '4', JOBS_MAX_ITEMS: '500', JOBS_TTL_SECONDS: '60' });
  const workers = app.config.inference.workers;
  try {
    progress(`soak: seeding a model, then ${clients} clients for ${minutes} min`);
    await seedModel(app.base, ROI, 6);
    const images = await Promise.all([1, 2, 3, 4].map((i) => discPng(ROI, 300 + i, i === 4)));
    const imagesB64 = images.map((b) => b.toString('base64'));
    const frame = (await discPng(320, 9)).toString('base64');

    const latencies: Record<Kind, number[]> = { infer: [], detectJob: [], inferJob: [] };
    let errors = 0;
    let overloaded = 0;
    const errorSamples: string[] = [];
    const fail = (what: string): void => {
      errors++;
      if (errorSamples.length < 10) errorSamples.push(what);
    };

    const t0 = performance.now();
    const deadline = t0 + durationMs;
    const samples: Array<{ t: number; rss: number; heap: number }> = [];
    let afterWarmup: MemoryPoint | null = null;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      const t = performance.now() - t0;
      samples.push({ t, rss: m.rss / 1048576, heap: m.heapUsed / 1048576 });
      if (!afterWarmup && t >= warmupMs) afterWarmup = memoryPoint();
    }, 1000);
    const reporter = setInterval(() => {
      const done = KINDS.reduce((a, k) => a + latencies[k].length, 0);
      progress(`soak: ${Math.round((performance.now() - t0) / 1000)} s, ${done} requests, ${errors} errors, ${overloaded} × 503, rss ${memoryPoint().rssMb} MB`);
    }, 30_000);

    const post = (path: string, body: RequestInit['body'], headers?: Record<string, string>) =>
      fetch(`${app.base}${path}`, { method: 'POST', body, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

    async function runJob(task: Record<string, unknown>): Promise<boolean> {
      const created = await post('/jobs', JSON.stringify(task), { 'content-type': 'application/json' });
      const body = (await created.json()) as { jobId?: string; code?: string };
      if (created.status === 503) {
        overloaded++;
        return false;
      }
      if (created.status !== 200 || !body.jobId) {
        fail(`POST /jobs ${task.task as string}: ${created.status} ${body.code ?? ''}`);
        return false;
      }
      const until = performance.now() + REQUEST_TIMEOUT_MS;
      while (performance.now() < until) {
        await sleep(POLL_MS);
        const res = await fetch(`${app.base}/jobs/${body.jobId}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const job = (await res.json()) as { status?: string; errorCode?: string | null };
        if (job.status === 'done') return true;
        if (job.status && ['failed', 'canceled', 'timeout'].includes(job.status)) {
          if (job.errorCode === 'overloaded') overloaded++;
          else fail(`job ${task.task as string}: ${job.status} ${job.errorCode ?? ''}`);
          return false;
        }
      }
      fail(`job ${task.task as string}: not finished after ${REQUEST_TIMEOUT_MS} ms`);
      return false;
    }

    async function once(kind: Kind, i: number): Promise<void> {
      const started = performance.now();
      let ok = false;
      try {
        if (kind === 'infer') {
          const res = await post('/infer', inferForm(images[i % images.length], ROI));
          await res.arrayBuffer();
          if (res.status === 200) ok = true;
          else if (res.status === 503) overloaded++;
          else fail(`/infer: ${res.status}`);
        } else if (kind === 'detectJob') {
          ok = await runJob({ task: 'detect-objects', imageBase64: frame });
        } else {
          ok = await runJob({
            task: 'infer',
            recipe_id: BENCH_MODEL.recipe,
            role_id: BENCH_MODEL.role,
            roi_id: BENCH_MODEL.roi,
            mm_per_px: 0.2,
            shape: circleShape(ROI),
            imageBase64: imagesB64[i % imagesB64.length],
          });
        }
      } catch (error) {
        fail(`${kind}: ${(error as Error).message}`);
      }
      if (ok) latencies[kind].push(performance.now() - started);
    }

    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; performance.now() < deadline; i++) await once(MIX[i % MIX.length], i);
      }),
    );
    clearInterval(sampler);
    clearInterval(reporter);
    const elapsed = (performance.now() - t0) / 1000;
    const end = memoryPoint();

    const windowMs = Math.min(60_000, Math.max(5_000, (durationMs - warmupMs) / 3));
    const first = samples.filter((s) => s.t >= warmupMs && s.t < warmupMs + windowMs);
    const last = samples.filter((s) => s.t >= durationMs - windowMs);
    const firstRss = mean(first.map((s) => s.rss));
    const lastRss = mean(last.map((s) => s.rss));
    const requests = KINDS.reduce((a, k) => a + latencies[k].length, 0) + errors + overloaded;
    return {
      minutes,
      clients,
      workers,
      cpus: os.availableParallelism(),
      loadAverage: { start: loadStart, end: os.loadavg().map((l) => round(l)) },
      durationSeconds: round(elapsed, 1),
      requests,
      requestsPerSecond: round(requests / elapsed),
      latency: { infer: latencyStats(latencies.infer), detectJob: latencyStats(latencies.detectJob), inferJob: latencyStats(latencies.inferJob) },
      errors,
      errorSamples,
      overloaded503: overloaded,
      memory: {
        start,
        afterWarmup: afterWarmup ?? end,
        end,
        windowSeconds: round(windowMs / 1000, 1),
        firstWindowMeanRssMb: round(firstRss, 1),
        lastWindowMeanRssMb: round(lastRss, 1),
        rssGrowthMb: round(lastRss - firstRss, 1),
        rssGrowthPercent: firstRss > 0 ? round(((lastRss - firstRss) / firstRss) * 100, 1) : 0,
        firstWindowMeanHeapMb: round(mean(first.map((s) => s.heap)), 1),
        lastWindowMeanHeapMb: round(mean(last.map((s) => s.heap)), 1),
      },
    };
  } finally {
    await app.close();
  }
}
