// Jobs API benchmark against a real listening app on 127.0.0.1 (ephemeral port, temporary models dir):
//  1. create + complete detect-objects jobs with N concurrent clients (POST /jobs, then poll GET /jobs/{id});
//  2. GET /jobs?limit=20 with 10 000 stored jobs, clients walking pages by nextCursor.
// Returns a JSON-able object; run directly with `node dist/bench/jobs-api.bench.js [--duration 20] [--clients 16]`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/load-config';
import { JobRepository } from '../src/jobs/job.repository';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface JobsApiBenchResult {
  durationSeconds: number;
  clients: number;
  jobsConcurrency: number;
  createComplete: { jobsCompleted: number; jobsFailed: number; jobsPerSecond: number; createLatency: LatencySummary; endToEnd: LatencySummary };
  list: { storedJobs: number; requests: number; requestsPerSecond: number; latency: LatencySummary };
}

export interface JobsApiBenchOptions {
  durationSeconds?: number;
  clients?: number;
  storedJobs?: number;
  pollIntervalMs?: number;
}

function summarise(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? 0 : Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 100) / 100);
  return { count: s.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** fetch with one retry: a pooled keep-alive socket the server closed while idle fails the first attempt. */
async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

export async function runJobsApiBench(options: JobsApiBenchOptions = {}): Promise<JobsApiBenchResult> {
  const durationSeconds = options.durationSeconds ?? 20;
  const clients = options.clients ?? 16;
  const storedJobs = options.storedJobs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 5;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-jobs-'));
  const config = loadConfig(
    {
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_GUI_LOG_DIR: path.join(root, 'logs'),
      LOG_LEVEL: 'silent',
      BDI_CONFIG_FILE: '',
      JOBS_MAX_ITEMS: String(storedJobs * 10),
    },
    { cwd: root },
  );
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  try {
    // A 320×240 frame with two objects: small enough that the API, not the detector, dominates.
    const raw = Buffer.alloc(320 * 240 * 3, 30);
    for (let y = 40; y < 100; y++) for (let x = 50; x < 120; x++) raw.fill(220, (y * 320 + x) * 3, (y * 320 + x) * 3 + 3);
    for (let y = 150; y < 200; y++) for (let x = 200; x < 280; x++) raw.fill(150, (y * 320 + x) * 3, (y * 320 + x) * 3 + 3);
    const png = await sharp(raw, { raw: { width: 320, height: 240, channels: 3 } }).png().toBuffer();
    const body = JSON.stringify({ task: 'detect-objects', imageBase64: `data:image/png;base64,${png.toString('base64')}` });

    // Phase 1: create + complete.
    const createLatencies: number[] = [];
    const endToEnd: number[] = [];
    let completed = 0;
    let failed = 0;
    const phase1Start = performance.now();
    const phase1End = phase1Start + durationSeconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < phase1End) {
          const t0 = performance.now();
          const created = await fetchRetry(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          const { jobId } = await json(created);
          createLatencies.push(performance.now() - t0);
          for (;;) {
            await sleep(pollIntervalMs);
            const status = (await json(await fetchRetry(`${base}/jobs/${String(jobId)}`))).status;
            if (status === 'done') {
              completed += 1;
              break;
            }
            if (status !== 'pending' && status !== 'running') {
              failed += 1;
              break;
            }
          }
          endToEnd.push(performance.now() - t0);
        }
      }),
    );
    const phase1Seconds = (performance.now() - phase1Start) / 1000;

    // Phase 2: fill the store up to `storedJobs` finished jobs directly (creating them through the API would only
    // measure phase 1 again), then list.
    const repository = app.get(JobRepository);
    const present = repository.countsByStatus();
    const existing = Object.values(present).reduce((a, b) => a + (b ?? 0), 0);
    const now = Date.now();
    for (let i = existing; i < storedJobs; i++) {
      const id = randomUUID();
      repository.createOrFind({ id, task: 'detect-objects', payload: { imageBase64: 'x' }, fingerprint: 'bench', idempotencyKey: null, requestId: id, retryOf: null, createdAt: now });
      repository.markRunning(id, now);
      repository.complete(id, ['running'], { status: 'done', finishedAt: now, result: { objects: [], modelVersion: 'bench', latencyMs: 1, requestId: id } });
    }
    const listLatencies: number[] = [];
    const phase2Start = performance.now();
    const phase2End = phase2Start + Math.max(5, durationSeconds / 2) * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        let cursor: string | null = null;
        while (performance.now() < phase2End) {
          const t0 = performance.now();
          const page = await json(await fetchRetry(`${base}/jobs?limit=20${cursor ? `&cursor=${cursor}` : ''}`));
          listLatencies.push(performance.now() - t0);
          cursor = (page.nextCursor as string | null) ?? null;
        }
      }),
    );
    const phase2Seconds = (performance.now() - phase2Start) / 1000;

    return {
      durationSeconds,
      clients,
      jobsConcurrency: config.jobs.concurrency,
      createComplete: {
        jobsCompleted: completed,
        jobsFailed: failed,
        jobsPerSecond: Math.round((completed / phase1Seconds) * 10) / 10,
        createLatency: summarise(createLatencies),
        endToEnd: summarise(endToEnd),
      },
      list: {
        storedJobs: Math.max(storedJobs, existing),
        requests: listLatencies.length,
        requestsPerSecond: Math.round((listLatencies.length / phase2Seconds) * 10) / 10,
        latency: summarise(listLatencies),
      },
    };
  } finally {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string): number | undefined => {
    const index = process.argv.indexOf(name);
    return index > 0 ? Number(process.argv[index + 1]) : undefined;
  };
  runJobsApiBench({ durationSeconds: arg('--duration'), clients: arg('--clients') })
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
      process.exit(1);
    });
}
