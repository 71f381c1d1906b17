// Jobs across nodes: jobs/s and create-to-done latency of detect-objects jobs through the SQLite runner (one process)
// and through Redis/BullMQ with 1, 2, … real service processes (dist/src/main.js) sharing one redis-server (Debian's,
// started here on a free loopback port without persistence) and one models directory. Clients create jobs round-robin
// on the nodes and poll them to done. Run: `npm run bench -- jobs-cluster [--duration S] [--clients N] [--nodes 1,2]`.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { freePort } from './bench-support';

interface Row {
  backend: 'sqlite' | 'redis';
  nodes: number;
  jobsCompleted: number;
  jobsFailed: number;
  jobsPerSecond: number;
  endToEndP50Ms: number;
  endToEndP99Ms: number;
}

const ENTRY = path.join(__dirname, '..', 'src', 'main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ok = await fetch(`${url}/health/ready`).then((r) => r.ok).catch(() => false);
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await sleep(200);
  }
}

async function startNode(root: string, id: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      BDI_NODE_ID: id,
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_JOBS_DB: path.join(root, `${id}.sqlite`),
      BDI_GUI_LOG_DIR: path.join(root, `logs-${id}`),
      BDI_BACKEND_PORT: String(port),
      BDI_BACKEND_HOST: '127.0.0.1',
      BDI_WORKERS: '1',
      JOBS_CONCURRENCY: '2',
      BDI_CONFIG_FILE: '',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { url, child };
}

async function drive(urls: string[], body: string, clients: number, seconds: number): Promise<Omit<Row, 'backend' | 'nodes'>> {
  const latencies: number[] = [];
  let completed = 0;
  let failed = 0;
  let next = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const url = urls[next++ % urls.length];
        const t0 = performance.now();
        const created = (await (await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { jobId: string };
        for (;;) {
          await sleep(5);
          const { status } = (await (await fetch(`${url}/jobs/${created.jobId}`)).json()) as { status: string };
          if (status === 'done') completed += 1;
          else if (status !== 'pending' && status !== 'running') failed += 1;
          else continue;
          break;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : 0);
  return { jobsCompleted: completed, jobsFailed: failed, jobsPerSecond: Math.round((completed / elapsed) * 10) / 10, endToEndP50Ms: at(0.5), endToEndP99Ms: at(0.99) };
}

export async function runJobsClusterBench(options: { durationSeconds?: number; clients?: number; nodeCounts?: number[] } = {}): Promise<{ machine: string; rows: Row[] }> {
  const seconds = options.durationSeconds ?? 15;
  const clients = options.clients ?? 8;
  const nodeCounts = options.nodeCounts ?? [1, 2];
  const raw = Buffer.alloc(160 * 120 * 3, 30);
  for (let y = 20; y < 60; y++) for (let x = 30; x < 80; x++) raw.fill(220, (y * 160 + x) * 3, (y * 160 + x) * 3 + 3);
  const png = await sharp(raw, { raw: { width: 160, height: 120, channels: 3 } }).png().toBuffer();
  const body = JSON.stringify({ task: 'detect-objects', imageBase64: `data:image/png;base64,${png.toString('base64')}` });
  const rows: Row[] = [];
  const children: ChildProcess[] = [];
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    children.length = 0;
  };
  try {
    {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-cluster-'));
      const node = await startNode(root, 'sqlite', {});
      children.push(node.child);
      rows.push({ backend: 'sqlite', nodes: 1, ...(await drive([node.url], body, clients, seconds)) });
      stopAll();
    }
    for (const count of nodeCounts) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-cluster-'));
      const port = await freePort();
      const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      children.push(redis);
      await sleep(300);
      const env = { BDI_REDIS_URL: `redis://127.0.0.1:${port}/0` };
      const nodes = await Promise.all(Array.from({ length: count }, (_, i) => startNode(root, `node-${i + 1}`, env)));
      children.push(...nodes.map((n) => n.child));
      rows.push({ backend: 'redis', nodes: count, ...(await drive(nodes.map((n) => n.url), body, clients, seconds)) });
      stopAll();
    }
  } finally {
    stopAll();
  }
  return { machine: `${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`, rows };
}
