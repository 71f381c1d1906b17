// The evaluation's engine: the service's InferencePool with the service's configuration defaults.
// Image scores and anomaly maps come from the pool's `infer` task, exactly as POST /infer computes them (the
// raw map is returned alongside, one backbone pass per image).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { resolveBackboneManifest } from '../../src/engine/backbone';
import { BUILTIN_BACKBONE_NAME } from '../../src/engine/backbone/manifest-location';
import type { MemoryArtifactRef } from '../../src/engine/memory-cache';
import { InferencePool } from '../../src/engine/pool';
import type { DetectorProfile } from '../../src/engine/profile/detector-profile';
import type { TuningReport } from '../../src/engine/tuning/tune-profile';
import { repoRoot } from '../../src/engine/repo-root';
import { EvalArgs } from './args';
import { EvalEngine, ScoredImage } from './eval-engine';

export interface PoolEngine extends EvalEngine {
  /** Worker-side infer timings (decode + backbone + kNN + post) of every scored image, ms. */
  readonly inferMs: number[];
  readonly coresetRate: number;
  fitInfo: { bankRows: number; patches: number; dim: number; profile: DetectorProfile; tuning: TuningReport | null } | null;
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

  const engine: PoolEngine = {
    backboneName: info.name,
    concurrency: workers,
    coresetRate,
    inferMs: [],
    fitInfo: null,

    async fit(trainImages: string[]): Promise<void> {
      const fitted = await pool.fit({
        images: trainImages.map((path) => ({ name: basename(path), path })),
        coresetRate,
        seed: args.seed,
        encodeArtifacts: true,
        // As the service's fit: a given profile, else tuned when BDI_SELF_TUNING is on (the default).
        ...(args.profile ? { profile: args.profile } : config.inference.selfTuning ? { tune: {} } : {}),
      });
      // The service's artifact pair, so `infer` loads the memory exactly as it does for a recipe.
      mkdirSync(modelDir, { recursive: true });
      const npzPath = join(modelDir, 'memory.npz');
      const indexPath = join(modelDir, 'memory_index.faiss');
      writeFileSync(npzPath, fitted.npzBytes as Uint8Array);
      writeFileSync(indexPath, fitted.indexBytes as Uint8Array);
      memory = { npzPath, npzMtimeMs: statSync(npzPath).mtimeMs, indexPath, indexMtimeMs: statSync(indexPath).mtimeMs };
      engine.fitInfo = { bankRows: fitted.m, patches: fitted.nEmbeddings, dim: fitted.dim, profile: fitted.profile, tuning: fitted.tuning ?? null };
    },

    async score(imagePath: string, withMap: boolean): Promise<ScoredImage> {
      if (!memory) throw new Error('score() before fit()');
      const image = readFileSync(imagePath);
      const result = await pool.infer({
        image,
        memory,
        shape: null,
        threshold: null,
        scorePercentile,
        areaMm2Thr: 0,
        mmPerPx: 1,
        wantHeatmap: false,
        returnMap: withMap,
      });
      const t = result.timings;
      engine.inferMs.push(t.decode + t.backbone + t.knn + t.post);
      const map = result.map;
      return map ? { score: result.score, map: map.heat, width: map.width, height: map.height } : { score: result.score, map: new Float32Array(0), width: 0, height: 0 };
    },

    async close(): Promise<void> {
      await pool.close();
    },
  };
  return engine;
}
