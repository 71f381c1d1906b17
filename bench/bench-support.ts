// Shared pieces of the HTTP benchmarks: synthetic disc crops, an in-process app on 127.0.0.1, a seeded model,
// latency summaries and stderr progress. Results go to stdout as JSON; progress never does.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../src/app.factory';
import { AppConfig } from '../src/config/app-config';
import { loadConfig } from '../src/config/load-config';
import { createPrng } from '../src/engine/seeded-prng';

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencyStats(samples: number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? 0 : round(s[Math.min(s.length - 1, Math.floor(q * s.length))]));
  return { count: s.length, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: s.length ? round(s[s.length - 1]) : 0 };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A loopback TCP port free at the time of the call (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** RGB PNG of a textured disc on a dark background (fine radial grooves + noise), optionally with a bright scratch. */
export async function discPng(size: number, seed: number, scratch = false): Promise<Buffer> {
  const rng = createPrng(seed);
  const data = Buffer.alloc(size * size * 3);
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - c;
      const dy = y + 0.5 - c;
      const d = Math.hypot(dx, dy);
      let v = d < c ? 110 + 25 * Math.sin(d * 1.7) + (rng.next() - 0.5) * 16 : 20;
      if (scratch && Math.abs((dx + dy) / Math.SQRT2) < size / 40 && Math.abs((dx - dy) / Math.SQRT2) < c * 0.6) v = 250;
      const i = (y * size + x) * 3;
      data[i] = data[i + 1] = data[i + 2] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

export function circleShape(size: number): string {
  return JSON.stringify({ kind: 'circle', cx: size / 2, cy: size / 2, r: size / 2 });
}

export interface BenchApp {
  app: NestExpressApplication;
  config: AppConfig;
  base: string;
  root: string;
  close(): Promise<void>;
}

/** The real application on a temporary models dir, listening on 127.0.0.1 (ephemeral port). */
export async function startBenchApp(env: Record<string, string> = {}, prepare?: (modelsDir: string) => void): Promise<BenchApp> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-'));
  const modelsDir = path.join(root, 'models');
  fs.mkdirSync(modelsDir, { recursive: true });
  prepare?.(modelsDir);
  const config = loadConfig({ BDI_MODELS_DIR: modelsDir, BDI_GUI_LOG_DIR: path.join(root, 'logs'), LOG_LEVEL: 'silent', BDI_CONFIG_FILE: '', ...env }, { cwd: root });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    config,
    base: `http://127.0.0.1:${port}`,
    root,
    async close() {
      await app.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export const BENCH_MODEL = { recipe: 'bench', role: 'Inspection', roi: 'roi-1' };

/** Uploads `okCount` disc crops of `size` px, fits (10 % coreset) and stores a calibration. */
export async function seedModel(base: string, size: number, okCount: number): Promise<void> {
  const form = new FormData();
  form.append('recipe_id', BENCH_MODEL.recipe);
  form.append('role_id', BENCH_MODEL.role);
  form.append('roi_id', BENCH_MODEL.roi);
  for (let i = 0; i < okCount; i++) {
    form.append('images', new Blob([await discPng(size, 100 + i)], { type: 'image/png' }), `s${i}.png`);
    form.append('metas', JSON.stringify({ mm_per_px: 0.2, shape_json: circleShape(size) }));
  }
  await expectOk(await fetch(`${base}/datasets/ok/upload`, { method: 'POST', body: form }), 'upload');
  const fit = new FormData();
  for (const [k, v] of Object.entries({ recipe_id: BENCH_MODEL.recipe, role_id: BENCH_MODEL.role, roi_id: BENCH_MODEL.roi, mm_per_px: '0.2', use_dataset: 'true' })) fit.append(k, v);
  await expectOk(await fetch(`${base}/fit_ok`, { method: 'POST', body: fit }), 'fit_ok');
  const calib = { recipe_id: BENCH_MODEL.recipe, role_id: BENCH_MODEL.role, roi_id: BENCH_MODEL.roi, mm_per_px: 0.2, ok_scores: [1, 1.1, 1.2], ng_scores: [3, 4] };
  await expectOk(await fetch(`${base}/calibrate_ng`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(calib) }), 'calibrate_ng');
}

/** `includeHeatmap`: ask for the heatmap whatever the decision (the issue-15 latency target includes it). */
export function inferForm(png: Buffer, size: number, includeHeatmap = false): FormData {
  const form = new FormData();
  form.append('recipe_id', BENCH_MODEL.recipe);
  form.append('role_id', BENCH_MODEL.role);
  form.append('roi_id', BENCH_MODEL.roi);
  form.append('mm_per_px', '0.2');
  form.append('shape', circleShape(size));
  if (includeHeatmap) form.append('include_heatmap', 'true');
  form.append('image', new Blob([png], { type: 'image/png' }), 'roi.png');
  return form;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.status !== 200) throw new Error(`${what} failed: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

export interface LoadPhase {
  clients: number;
  seconds: number;
  requestsPerSecond: number;
  latency: LatencyStats;
  non200: number;
}

/** `clients` closed-loop clients call `once` until `seconds` have passed. */
export async function loadPhase(clients: number, seconds: number, once: () => Promise<{ ms: number; status: number }>): Promise<LoadPhase> {
  const latencies: number[] = [];
  let non200 = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const r = await once();
        latencies.push(r.ms);
        if (r.status !== 200) non200++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { clients, seconds: round(elapsed, 1), requestsPerSecond: round(latencies.length / elapsed), latency: latencyStats(latencies), non200 };
}

/** `--name value` options of argv (numbers). */
export function numberArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}
