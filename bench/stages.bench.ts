// Inference cost of one 448×448 ROI, by stage (decode, backbone, kNN, post-processing) through the worker pool,
// with the built-in backbone and with a full-size random-weight ViT-S/14 (the production backbone's shape); memory
// per worker; end-to-end HTTP /infer latency and throughput with every worker busy. And the fit benchmark:
// 100 ROIs at 10 % coreset with the built-in backbone. Medians of repeats; timings come from the worker itself.
import { describeProfile } from '../src/engine/profile/detector-profile';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILTIN_BACKBONE_NAME, backboneDirectory, resolveBackboneManifest } from '../src/engine/backbone';
import { ensureBuiltinBackbone } from '../src/engine/backbone/builtin-backbone';
import { generateVitSmall14 } from '../src/engine/backbone/testing/vit-small';
import { InferencePool } from '../src/engine/pool';
import type { InferInput } from '../src/engine/pool-protocol';
import { discPng, inferForm, latencyStats, LatencyStats, loadPhase, median, progress, round, seedModel, sleep, startBenchApp } from './bench-support';

const ROI = 448;
const VIT_NAME = 'random-vits14';

export interface StageMedians {
  decodeMs: number;
  backboneMs: number;
  knnMs: number;
  postMs: number;
  totalMs: number;
}

export interface BackboneStagesResult {
  backbone: string;
  tokenGrid: [number, number];
  featureDim: number;
  workers: number;
  repeats: number;
  /** Median of each stage over `repeats` sequential inferences (memory already loaded). */
  stages: StageMedians;
  /** RSS added per worker once its backbone session is loaded and it has run inferences (MB). */
  rssPerWorkerMb: number;
  http: {
    /** One request at a time. */
    sequential: LatencyStats;
    /** `concurrency` clients (2 × workers) for `seconds`: every worker busy. */
    saturated: { concurrency: number; seconds: number; requestsPerSecond: number; latency: LatencyStats; non200: number };
  };
}

export interface StagesBenchResult {
  roi: [number, number];
  cpus: number;
  loadAverage: number[];
  backbones: BackboneStagesResult[];
  /** ViT-S/14 ÷ built-in, per stage (same run, same machine state). */
  ratioVitToBuiltin: Partial<Record<keyof StageMedians, number>>;
}

export interface StagesBenchOptions {
  workers?: number;
  builtinRepeats?: number;
  vitRepeats?: number;
  httpSeconds?: number;
  /** Skip the ViT-S/14 (quick runs). */
  builtinOnly?: boolean;
}

function rssMb(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** Fits a 4-image memory in the pool and returns the infer input that uses it. */
async function fittedInput(pool: InferencePool, dir: string): Promise<InferInput> {
  const images = await Promise.all([0, 1, 2, 3].map(async (i) => ({ name: `ok${i}.png`, bytes: await discPng(ROI, 10 + i) })));
  const fit = await pool.fit({ images, coresetRate: 0.1, seed: 0, encodeArtifacts: true });
  const npzPath = path.join(dir, 'bench.npz');
  const indexPath = path.join(dir, 'bench_index.faiss');
  fs.writeFileSync(npzPath, fit.npzBytes as Uint8Array);
  fs.writeFileSync(indexPath, fit.indexBytes as Uint8Array);
  return {
    image: await discPng(ROI, 99, true),
    memory: { npzPath, npzMtimeMs: fs.statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: fs.statSync(indexPath).mtimeMs },
    shape: { kind: 'circle', cx: ROI / 2, cy: ROI / 2, r: ROI / 2 },
    threshold: 1,
    scorePercentile: 99,
    areaMm2Thr: 1,
    mmPerPx: 0.2,
    wantHeatmap: true,
  };
}

async function poolStages(manifestPath: string, workers: number, repeats: number, dir: string): Promise<Omit<BackboneStagesResult, 'http' | 'backbone'>> {
  const rssBefore = rssMb();
  const pool = new InferencePool({ manifestPath, size: workers, device: 'cpu' });
  try {
    const infos = await pool.warmUp();
    const input = await fittedInput(pool, dir);
    // Every worker loads the memory and runs a few inferences before timing.
    await Promise.all(Array.from({ length: workers * 2 }, () => pool.infer(input)));
    const rssPerWorkerMb = (rssMb() - rssBefore) / workers;
    const rows: StageMedians[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const out = await pool.infer(input);
      const total = performance.now() - t0;
      rows.push({ decodeMs: out.timings.decode, backboneMs: out.timings.backbone, knnMs: out.timings.knn, postMs: out.timings.post, totalMs: total });
    }
    const pick = (k: keyof StageMedians) => round(median(rows.map((r) => r[k])));
    const info = infos[0].backbone;
    return {
      tokenGrid: [Math.floor(info.inputHeight / info.patchStride), Math.floor(info.inputWidth / info.patchStride)] as [number, number],
      featureDim: info.dim,
      workers,
      repeats,
      stages: { decodeMs: pick('decodeMs'), backboneMs: pick('backboneMs'), knnMs: pick('knnMs'), postMs: pick('postMs'), totalMs: pick('totalMs') },
      rssPerWorkerMb: round(rssPerWorkerMb, 1),
    };
  } finally {
    await pool.close();
  }
}

async function httpInfer(backbone: string | null, workers: number, seconds: number, prepare?: (modelsDir: string) => void): Promise<BackboneStagesResult['http']> {
  const app = await startBenchApp({ BDI_WORKERS: String(workers), BDI_MIN_OK_SAMPLES: '4', ...(backbone ? { BDI_BACKBONE: backbone } : {}) }, prepare);
  try {
    await seedModel(app.base, ROI, 4);
    const png = await discPng(ROI, 77, true);
    const once = async (): Promise<{ ms: number; status: number }> => {
      const t0 = performance.now();
      const res = await fetch(`${app.base}/infer`, { method: 'POST', body: inferForm(png, ROI) });
      await res.arrayBuffer();
      return { ms: performance.now() - t0, status: res.status };
    };
    for (let i = 0; i < workers * 2; i++) await once(); // warm every worker's memory cache
    const sequential: number[] = [];
    for (let i = 0; i < 10; i++) sequential.push((await once()).ms);
    const { clients: concurrency, ...saturated } = await loadPhase(workers * 2, seconds, once);
    return { sequential: latencyStats(sequential), saturated: { concurrency, ...saturated } };
  } finally {
    await app.close();
  }
}

export async function runStagesBench(options: StagesBenchOptions = {}): Promise<StagesBenchResult> {
  const workers = options.workers ?? Math.max(1, os.availableParallelism());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-stages-'));
  try {
    const builtinDir = backboneDirectory(dir, BUILTIN_BACKBONE_NAME);
    ensureBuiltinBackbone(builtinDir, BUILTIN_BACKBONE_NAME);
    const results: BackboneStagesResult[] = [];
    progress(`stages: built-in backbone, ${workers} worker(s)`);
    const builtin = await poolStages(resolveBackboneManifest(dir, BUILTIN_BACKBONE_NAME), workers, options.builtinRepeats ?? 30, dir);
    progress('stages: built-in backbone over HTTP');
    results.push({ backbone: BUILTIN_BACKBONE_NAME, ...builtin, http: await httpInfer(null, workers, options.httpSeconds ?? 10) });
    if (!options.builtinOnly) {
      progress('stages: generating a random-weight ViT-S/14');
      const vitDir = backboneDirectory(dir, VIT_NAME);
      fs.mkdirSync(vitDir, { recursive: true });
      const vit = generateVitSmall14(vitDir);
      progress('stages: ViT-S/14 through the pool');
      const vitStages = await poolStages(vit.manifestPath, workers, options.vitRepeats ?? 10, dir);
      progress('stages: ViT-S/14 over HTTP');
      const http = await httpInfer(VIT_NAME, workers, options.httpSeconds ?? 10, (modelsDir) => {
        fs.cpSync(vit.dir, backboneDirectory(modelsDir, VIT_NAME), { recursive: true });
      });
      results.push({ backbone: VIT_NAME, ...vitStages, http });
    }
    const ratio: StagesBenchResult['ratioVitToBuiltin'] = {};
    if (results.length === 2) {
      for (const k of Object.keys(results[0].stages) as Array<keyof StageMedians>) {
        ratio[k] = results[0].stages[k] > 0 ? round(results[1].stages[k] / results[0].stages[k]) : undefined;
      }
    }
    return { roi: [ROI, ROI], cpus: os.availableParallelism(), loadAverage: os.loadavg().map((l) => round(l)), backbones: results, ratioVitToBuiltin: ratio };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface FitBenchResult {
  backbone: string;
  rois: number;
  roiSize: number;
  coresetRate: number;
  workers: 1;
  repeats: number;
  /** Medians over repeats. */
  totalMs: number;
  timingsMs: { tuning: number; decode: number; backbone: number; coreset: number; total: number };
  /** Self-tuning ran first (as the service's fit with BDI_SELF_TUNING on); the profile it chose. */
  selfTuning: boolean;
  profile: string;
  patches: number;
  coresetSize: number;
  perRoiMs: number;
  loadAverage: number[];
}

/** One fit task (a fit runs in one worker) over `rois` synthetic 448×448 crops at 10 % coreset. */
export async function runFitBench(options: { rois?: number; repeats?: number; tune?: boolean } = {}): Promise<FitBenchResult> {
  const tune = options.tune ?? true;
  const rois = options.rois ?? 100;
  const repeats = options.repeats ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-bench-fit-'));
  ensureBuiltinBackbone(backboneDirectory(dir, BUILTIN_BACKBONE_NAME), BUILTIN_BACKBONE_NAME);
  const pool = new InferencePool({ manifestPath: resolveBackboneManifest(dir, BUILTIN_BACKBONE_NAME), size: 1, device: 'cpu' });
  try {
    await pool.warmUp();
    progress(`fit: generating ${rois} ROIs`);
    const images = await Promise.all(Array.from({ length: rois }, async (_, i) => ({ name: `roi${i}.png`, bytes: await discPng(ROI, 500 + i) })));
    const runs: Array<{ wall: number; t: FitBenchResult['timingsMs']; n: number; m: number; profile: string }> = [];
    for (let r = 0; r < repeats; r++) {
      progress(`fit: run ${r + 1}/${repeats}`);
      const t0 = performance.now();
      const fit = await pool.fit({ images, coresetRate: 0.1, seed: 0, encodeArtifacts: true, ...(tune ? { tune: {} } : {}) });
      runs.push({ wall: performance.now() - t0, t: { tuning: fit.tuning?.ms ?? 0, ...fit.timingsMs }, n: fit.nEmbeddings, m: fit.m, profile: describeProfile(fit.profile) });
      await sleep(50);
    }
    const med = (f: (x: (typeof runs)[number]) => number) => round(median(runs.map(f)));
    return {
      backbone: BUILTIN_BACKBONE_NAME,
      rois,
      roiSize: ROI,
      coresetRate: 0.1,
      workers: 1,
      repeats,
      totalMs: med((x) => x.wall),
      selfTuning: tune,
      profile: runs[0].profile,
      timingsMs: { tuning: med((x) => x.t.tuning), decode: med((x) => x.t.decode), backbone: med((x) => x.t.backbone), coreset: med((x) => x.t.coreset), total: med((x) => x.t.total) },
      patches: runs[0].n,
      coresetSize: runs[0].m,
      perRoiMs: round(median(runs.map((x) => x.wall)) / rois),
      loadAverage: os.loadavg().map((l) => round(l)),
    };
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Kept for `node dist/bench/stages.bench.js` runs; `npm run bench -- stages` is the usual entry.
if (require.main === module) {
  void runStagesBench({ builtinOnly: process.argv.includes('--quick') }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
