// Model warm-up (as Triton's): one dummy inference through the whole `infer` path — decode, letterbox, backbone
// session run, FAISS search, native post-processing, PNG encode, regions — so lazy initialisation (ONNX Runtime's
// first run and its allocator/arena, on CUDA the device buffers and kernels; sharp's PNG codec; V8 compiling the
// post-processing) is paid before the pool reports ready, not by the first request. It looks like a real request:
// the default fit profile (aspect sizing with its resize, position channels), a crop twice the backbone input, a
// circle ROI mask, a heatmap and regions (measured: with the baseline profile, a crop of the input's own size and
// no mask, the first request after ready still took ~3x a warm one, issue 15).
import sharp from 'sharp';
import { anomalyHeatmapPng, anomalyRegions, anomalyScore, buildAnomalyMaps } from './anomaly-map';
import { buildFlatIndex, type FlatIndex } from './faiss-index';
import { heatmapScaleOf } from './heatmap-png';
import { nearestDistances } from './knn';
import { mapDistances } from './map-distances';
import type { PatchFeatures } from './types';
import type { WorkerContext } from './worker-context';

/** Runs the dummy inference; returns its wall time (ms). */
export async function warmUpInference(ctx: WorkerContext): Promise<number> {
  const backbone = await ctx.getBackbone();
  const t0 = performance.now();
  const width = backbone.info.inputWidth * 2;
  const height = backbone.info.inputHeight * 2;
  const png = await sharp({ create: { width, height, channels: 3, background: { r: 96, g: 96, b: 96 } } })
    .png()
    .toBuffer();
  const profile = await ctx.defaultFitProfile();
  const prepared = await ctx.features(png, profile);
  const { features } = prepared;
  // A tiny memory of the image's own first rows: same search code, negligible cost.
  const rows = Math.min(8, features.gridH * features.gridW);
  const index = buildFlatIndex(features.features.slice(0, rows * features.dim), features.dim);
  const distances = nearestDistances(index, features.features, features.dim);
  // The map view's and the context view's searches too, each against a tiny memory of its own rows.
  const tiny = (view: PatchFeatures | undefined): FlatIndex | undefined =>
    view ? buildFlatIndex(view.features.slice(0, Math.min(rows, view.gridH * view.gridW) * view.dim), view.dim) : undefined;
  const mapGrid = mapDistances({ ...prepared, distances }, profile, { mapIndex: tiny(prepared.mapFeatures), contextIndex: tiny(prepared.contextFeatures) });
  const shape = { kind: 'circle' as const, cx: width / 2, cy: height / 2, r: width / 2 };
  const { map, scoreMap } = buildAnomalyMaps(
    { distances, gridH: features.gridH, gridW: features.gridW, letterbox: prepared.letterbox, shape },
    profile.smoothing,
    mapGrid,
  );
  anomalyScore(scoreMap, { kind: 'percentile', value: 99 });
  const threshold = anomalyScore(map, { kind: 'percentile', value: 50 });
  const png8 = await anomalyHeatmapPng(map, heatmapScaleOf(map.valid, 'image', threshold));
  Buffer.from(png8.buffer, png8.byteOffset, png8.byteLength).toString('base64');
  anomalyRegions(map, { threshold, areaMm2Thr: 0, mmPerPx: 1 });
  return performance.now() - t0;
}
