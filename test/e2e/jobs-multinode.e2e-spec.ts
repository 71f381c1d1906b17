// Several real service processes (the compiled dist/ entry) against one redis-server and one models directory:
// work spreads over the nodes, cancel and idempotency hold across nodes, a node killed with kill -9 mid-job loses
// nothing, and a model fitted on one node is served by another.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import { baseName, discPng } from './support/inspection-fixtures';
import { sleep } from './support/jobs-client';
import { fitRequest, inferRequest, SEED_RECIPE, SEED_ROI, SEED_ROLE, seedFittedModel, uploadSamples } from './support/model-seed';
import { freePort, startRedis, TestRedis } from './support/redis-server';

const ENTRY = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const LOCK_MS = 1500;
/** Every process started, ready or not, so afterAll kills them even when a boot failed. */
const spawned: ChildProcess[] = [];

interface Node {
  id: string;
  url: string;
  process: ChildProcess;
}

async function startNode(id: string, redis: TestRedis, root: string): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      BDI_REDIS_URL: redis.url,
      BDI_NODE_ID: id,
      BDI_MODELS_DIR: path.join(root, 'models'),
      BDI_JOBS_DB: path.join(root, `${id}.sqlite`),
      BDI_GUI_LOG_DIR: path.join(root, `logs-${id}`),
      BDI_BACKEND_PORT: String(port),
      BDI_BACKEND_HOST: '127.0.0.1',
      BDI_WORKERS: '1',
      JOBS_CONCURRENCY: '1',
      BDI_DEBUG_SLEEP: '1',
      BDI_MIN_OK_SAMPLES: '2',
      BDI_JOBS_LOCK_MS: String(LOCK_MS),
      BDI_JOBS_MAX_STALLED: '1',
      BDI_CONFIG_FILE: '',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  spawned.push(child);
  const url = `http://127.0.0.1:${port}`;
  // Generous: three nodes boot at once on a shared, loaded machine.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await request(url)
      .get('/health/ready')
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) return { id, url, process: child };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`node ${id} did not become ready (exit ${String(child.exitCode)}): ${stderr}`);
    await sleep(100);
  }
}

async function waitJob(url: string, jobId: string, until: (status: string) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(url).get(`/jobs/${jobId}`);
    if (res.status === 200 && until(res.body.status as string)) return res.body as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${String(res.body.status)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const terminal = (s: string) => ['done', 'failed', 'canceled', 'timeout'].includes(s);

describe('jobs on Redis across three service processes', () => {
  let redis: TestRedis;
  let root: string;
  let nodes: Node[] = [];
  let IMG: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-multinode-'));
    redis = await startRedis();
    IMG = await pngDataUrl(rgbImage(64, 64, 0, [{ x: 8, y: 8, width: 16, height: 16, value: 255 }]));
    nodes = await Promise.all(['node-a', 'node-b', 'node-c'].map((id) => startNode(id, redis, root)));
  }, 180_000);

  afterAll(async () => {
    for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
    await redis?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reports the redis backend, its connection and each node id on /health', async () => {
    for (const node of nodes) {
      const body = (await request(node.url).get('/health')).body;
      expect(body.jobsBackend).toEqual({ backend: 'redis', connection: 'up', node: node.id });
    }
  });

  it('spreads jobs created on one node over the nodes, each record naming the node that ran it', async () => {
    const created = await Promise.all(
      Array.from({ length: 6 }, () => request(nodes[0].url).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, debugSleepMs: 400 })),
    );
    const finals = await Promise.all(created.map((r) => waitJob(nodes[0].url, r.body.jobId as string, terminal)));
    expect(finals.map((j) => j.status)).toEqual(new Array(6).fill('done'));
    const ran = new Set(finals.map((j) => j.node));
    expect(ran.size).toBeGreaterThanOrEqual(2);
    for (const node of ran) expect(['node-a', 'node-b', 'node-c']).toContain(node);
  });

  it('creates exactly one job for concurrent creates with one key on different nodes', async () => {
    const res = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        request(nodes[i % 3].url).post('/jobs').set('Idempotency-Key', 'cross-node-key').send({ task: 'detect-objects', imageBase64: IMG }),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(new Array(12).fill(200));
    expect(new Set(res.map((r) => r.body.jobId)).size).toBe(1);
    expect(res.filter((r) => r.headers['idempotent-replay'] === 'true')).toHaveLength(11);
  });

  it('cancels from another node: the running node aborts the work and takes new jobs at once', async () => {
    const sleepers = await Promise.all(
      nodes.map(() => request(nodes[0].url).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, debugSleepMs: 25_000 })),
    );
    const running = await Promise.all(sleepers.map((r) => waitJob(nodes[0].url, r.body.jobId as string, (s) => s === 'running')));
    expect(new Set(running.map((j) => j.node)).size).toBe(3); // every node busy (concurrency 1)
    for (const job of running) {
      const other = nodes.find((n) => n.id !== job.node)!;
      const res = await request(other.url).post(`/jobs/${String(job.jobId)}/cancel`);
      expect(res.body.status).toBe('canceled');
    }
    const started = Date.now();
    const quick = await Promise.all(nodes.map(() => request(nodes[1].url).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG })));
    const done = await Promise.all(quick.map((r) => waitJob(nodes[1].url, r.body.jobId as string, terminal, 10_000)));
    expect(done.map((j) => j.status)).toEqual(['done', 'done', 'done']);
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 25 s the canceled work would have held
    for (const job of running) expect((await request(nodes[2].url).get(`/jobs/${String(job.jobId)}`)).body.status).toBe('canceled');
  });

  it('re-runs the job of a node killed with kill -9 on another node', async () => {
    const res = await request(nodes[0].url).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, debugSleepMs: 4000 });
    const jobId = res.body.jobId as string;
    const running = await waitJob(nodes[0].url, jobId, (s) => s === 'running');
    const victim = nodes.find((n) => n.id === running.node)!;
    victim.process.kill('SIGKILL');
    const survivor = nodes.find((n) => n.id !== victim.id)!;
    const final = await waitJob(survivor.url, jobId, terminal, 30_000);
    expect(final).toMatchObject({ status: 'done' });
    expect(final.node).not.toBe(victim.id);
    nodes = nodes.filter((n) => n !== victim);
  }, 60_000);

  it('serves a model fitted on one node from another', async () => {
    const [a, b] = nodes;
    await seedFittedModel(a.url, path.join(root, 'models'), 2);
    const png = await discPng({ size: 64, seed: 5 });
    const onA = await inferRequest(a.url, png);
    const onB = await inferRequest(b.url, png);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    expect(onB.body.score).toBeCloseTo(onA.body.score as number, 6);
  });

  it('serialises two fits of the same model on different nodes (the model lock in Redis)', async () => {
    const [a, b] = nodes;
    const [onA, onB] = await Promise.all([fitRequest(a.url), fitRequest(b.url)]);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    // Each node logs when it got the lock and when its model was written (before it lets the lock go). Diagnostics
    // lines are written once per event-loop turn, so the last ones may land just after the response: wait for them.
    const lockEvents = (node: Node) => diagnostics(node).filter((e) => e.event === 'fit_ok.lock_acquired' || e.event === 'fit_ok.lock_releasing');
    for (let i = 0; i < 100 && [a, b].some((node) => !lockEvents(node).some((e) => e.event === 'fit_ok.lock_releasing')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const spans = [a, b].map((node) => {
      const events = lockEvents(node);
      const acquired = events.filter((e) => e.event === 'fit_ok.lock_acquired').pop()!;
      const released = events.filter((e) => e.event === 'fit_ok.lock_releasing').pop()!;
      expect(acquired.node).toBe(node.id);
      return { node: node.id, from: acquired.ts as number, to: released.ts as number };
    });
    spans.sort((x, y) => x.from - y.from);
    expect(spans[0].to).toBeLessThanOrEqual(spans[1].from); // one after the other, never overlapping
  });

  it('serves a refit on one node from another on its next request', async () => {
    const [a, b] = nodes;
    const png = await discPng({ size: 64, seed: 5 });
    const before = await inferRequest(b.url, png);
    expect(before.status).toBe(200);
    const version = () => JSON.parse(fs.readFileSync(seededVersionPath(), 'utf8')).version as string;
    const versionBefore = version();
    // More OK samples: the refit on A writes a different memory bank.
    const extra = await uploadSamples(a.url, 'ok', 3, 5000);
    expect(extra.status).toBe(200);
    const refit = await fitRequest(a.url);
    expect(refit.status).toBe(200);
    expect(version()).not.toBe(versionBefore);
    const after = await inferRequest(b.url, png);
    expect(after.status).toBe(200);
    expect(after.body.score).not.toBeCloseTo(before.body.score as number, 6);
    const againOnA = await inferRequest(a.url, png);
    expect(after.body.score).toBeCloseTo(againOnA.body.score as number, 6);
  });

  it('ends a job failed/interrupted once its node died more often than BDI_JOBS_MAX_STALLED (never left running)', async () => {
    nodes.push(await startNode('node-d', redis, root)); // three alive: two to kill, one to notice
    const res = await request(nodes[0].url).post('/jobs').send({ task: 'detect-objects', imageBase64: IMG, debugSleepMs: 60_000 });
    const jobId = res.body.jobId as string;
    const killed: string[] = [];
    for (let kill = 0; kill < 2; kill++) {
      // Running on a node not killed yet (the second time: re-run after the first node's lock expired).
      const running = await waitJob(nodes[0].url, jobId, (s) => s === 'running', 30_000).then(async (job) => {
        while (killed.includes(job.node as string)) {
          await sleep(100);
          job = await waitJob(nodes[0].url, jobId, (s) => s === 'running' || terminal(s), 30_000);
        }
        return job;
      });
      expect(running.status).toBe('running');
      const victim = nodes.find((n) => n.id === running.node)!;
      victim.process.kill('SIGKILL');
      killed.push(victim.id);
      nodes = nodes.filter((n) => n !== victim);
    }
    // BDI_JOBS_MAX_STALLED=1: one re-run was allowed; the second death ends it.
    const final = await waitJob(nodes[0].url, jobId, terminal, 60_000);
    expect(final).toMatchObject({ status: 'failed', errorCode: 'interrupted' });
  }, 180_000);

  function diagnostics(node: Node): Array<Record<string, unknown>> {
    const file = path.join(root, `logs-${node.id}`, 'backend_diagnostics.jsonl');
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  function seededVersionPath(): string {
    return path.join(root, 'models', 'recipes', SEED_RECIPE, SEED_ROI, `${baseName(SEED_ROLE, SEED_ROI)}_version.json`);
  }
});
