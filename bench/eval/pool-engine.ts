// The evaluation's engine: the service's InferencePool with the service's configuration defaults.
// Image scores come from the pool's `infer` task, exactly as POST /infer computes them. That task returns
// only a visually stretched 8-bit PNG, not the raw map, so for pixel metrics (and report overlays) the map
// is rebuilt from the pool's `extract` task with the engine's own kNN and anomaly-map functions; the score
// of the rebuilt map is checked against the infer score on every image.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { anomalyScore, buildAnomalyMap } from '../../src/engine/anomaly-map';
import { resolveBackboneManifest } from '../../src/engine/backbone';
import { BUILTIN_BACKBONE_NAME } from '../../src/engine/backbone/manifest-location';
import { buildFlatIndex, type FlatIndex } from '../../src/engine/faiss-index';
import { nearestDistances } from '../../src/engine/knn';
import type { MemoryArtifactRef } from '../../src/engine/memory-cache';
import { InferencePool } from '../../src/engine/pool';
import { repoRoot } from '../../src/engine/repo-root';
import { EvalArgs } from './args';
import { EvalEngine, ScoredImage } from './eval-engine';

export interface PoolEngine extends EvalEngine {
  /** Worker-side infer timings (decode + backbone + kNN + post) of every scored image, ms. */
  readonly inferMs: number[];
  /** Images whose rebuilt map scored differently from the infer task (should stay 0). */
  scoreMismatches: number;
  readonly coresetRate: number;
  fitInfo: { bankRows: number; patches: number; dim: number } | null;
}

export async function createPoolEngine(args: EvalArgs, modelDir: string): Promise<PoolEngine> {
  const config = loadConfig(process.env, { cwd: repoRoot() });
  const manifestPath =
    args.manifest ?? resolveBackboneManifest(config.storage.modelsDir, args.backbone ?? config.inference.backbone ?? BUILTIN_BACKBONE_NAME);
  const workers = args.workers ?? config.inference.workers;
  const pool = new InferencePool({
    manifestPath,
    size: workers,
    intraOpThreads: args.workers ? undefined : config.inference.intraOpThreads,
    device: config.inference.device,
    requireCuda: config.inference.requireCuda,
    // The evaluation queues at most 2 × workers tasks of each kind.
    maxQueue: Math.max(config.inference.maxQueue, 8 * workers),
    limitInputPixels: config.inference.maxImagePixels,
  });
  const info = await pool.backboneInfo();
  const coresetRate = args.coreset ?? config.inference.coresetRate;
  const scorePercentile = config.inference.scorePercentile;
  let memory: MemoryArtifactRef | null = null;
  let index: FlatIndex | null = null;

  const engine: PoolEngine = {
    backboneName: info.name,
    concurrency: workers,
    coresetRate,
    inferMs: [],
    scoreMismatches: 0,
    fitInfo: null,

    async fit(trainImages: string[]): Promise<void> {
      const fitted = await pool.fit({
        images: trainImages.map((path) => ({ name: basename(path), path })),
        coresetRate,
        seed: args.seed,
        encodeArtifacts: true,
      });
      // The service's artifact pair, so `infer` loads the memory exactly as it does for a recipe.
      mkdirSync(modelDir, { recursive: true });
      const npzPath = join(modelDir, 'memory.npz');
      const indexPath = join(modelDir, 'memory_index.faiss');
      writeFileSync(npzPath, fitted.npzBytes as Uint8Array);
      writeFileSync(indexPath, fitted.indexBytes as Uint8Array);
      memory = { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
      index = buildFlatIndex(fitted.bank, fitted.dim);
      engine.fitInfo = { bankRows: fitted.m, patches: fitted.nEmbeddings, dim: fitted.dim };
    },

    async score(imagePath: string, withMap: boolean): Promise<ScoredImage> {
      if (!memory) throw new Error('score() before fit()');
      const image = readFileSync(imagePath);
      const inferred = pool.infer({ image, memory, shape: null, threshold: null, scorePercentile, areaMm2Thr: 0, mmPerPx: 1, wantHeatmap: false });
      const extracted = withMap ? pool.extract({ image }) : null;
      const result = await inferred;
      const t = result.timings;
      engine.inferMs.push(t.decode + t.backbone + t.knn + t.post);
      if (!extracted || !index) return { score: result.score, map: new Float32Array(0), width: 0, height: 0 };
      const { features, letterbox } = await extracted;
      const distances = nearestDistances(index, features.features, features.dim);
      const map = buildAnomalyMap({ distances, gridH: features.gridH, gridW: features.gridW, letterbox, shape: null });
      if (Math.abs(anomalyScore(map, scorePercentile) - result.score) > 1e-6 * Math.max(1, Math.abs(result.score))) {
        engine.scoreMismatches++;
      }
      return { score: result.score, map: map.heat, width: map.width, height: map.height };
    },

    async close(): Promise<void> {
      await pool.close();
    },
  };
  return engine;
}
