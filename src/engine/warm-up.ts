// Model warm-up (as Triton's): one dummy inference through the whole `infer` path — decode, letterbox, backbone
// session run, FAISS search, native post-processing, PNG encode, regions — so lazy initialisation (ONNX Runtime's
// first run and its allocator/arena, on CUDA the device buffers and kernels; sharp's PNG codec; V8 compiling the
// post-processing) is paid before the pool reports ready, not by the first request.
import sharp from 'sharp';
import { anomalyHeatmapPng, anomalyRegions, anomalyScore, buildAnomalyMap } from './anomaly-map';
import { buildFlatIndex } from './faiss-index';
import { nearestDistances } from './knn';
import type { WorkerContext } from './worker-context';

/** Runs the dummy inference; returns its wall time (ms). */
export async function warmUpInference(ctx: WorkerContext): Promise<number> {
  const backbone = await ctx.getBackbone();
  const t0 = performance.now();
  const { inputWidth: width, inputHeight: height } = backbone.info;
  const png = await sharp({ create: { width, height, channels: 3, background: { r: 96, g: 96, b: 96 } } })
    .png()
    .toBuffer();
  const prepared = await ctx.features(png);
  const { features } = prepared;
  // A tiny memory of the image's own first rows: same search code, negligible cost.
  const rows = Math.min(8, features.gridH * features.gridW);
  const index = buildFlatIndex(features.features.slice(0, rows * features.dim), features.dim);
  const distances = nearestDistances(index, features.features, features.dim);
  const map = buildAnomalyMap({ distances, gridH: features.gridH, gridW: features.gridW, letterbox: prepared.letterbox, shape: null });
  anomalyScore(map, { kind: 'percentile', value: 99 });
  await anomalyHeatmapPng(map);
  anomalyRegions(map, { threshold: anomalyScore(map, { kind: 'percentile', value: 50 }), areaMm2Thr: 0, mmPerPx: 1 });
  return performance.now() - t0;
}
