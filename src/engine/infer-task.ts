// Task `infer`: one crop against a fitted memory → score, optional heatmap PNG and regions, stage timings.
// The memory's detector profile (tuned at fit) decides the input sizing, feature normalisation and score statistic.
import { anomalyHeatmapPng, anomalyRegions, anomalyScore, buildAnomalyMaps } from './anomaly-map';
import { decisionOf } from './decision';
import { TokenGridMismatchError } from './engine-error';
import { heatmapScaleOf } from './heatmap-png';
import { nearestDistances } from './knn';
import type { InferInput, InferOutput } from './pool-protocol';
import { mapDistances } from './map-distances';
import { profileFromMetadata } from './profile/detector-profile';
import type { WorkerContext } from './worker-context';

export async function runInfer(input: InferInput, ctx: WorkerContext): Promise<InferOutput> {
  const t0 = performance.now();
  const loadsBefore = ctx.memories.loads;
  const memory = ctx.memories.get(input.memory);
  const backbone = await ctx.getBackbone();
  const profile = profileFromMetadata(memory.metadata, backbone.info.blocks.length);
  const loadMs = performance.now() - t0;
  const prepared = await ctx.features(input.image, profile);
  const { features } = prepared;

  const t1 = performance.now();
  // Variable grids are the point of 'aspect' sizing; a fixed-size input must match the fitted grid.
  const gridMatches = profile?.input.mode === 'aspect' || (memory.tokenH === features.gridH && memory.tokenW === features.gridW);
  // Wording matters: the GUI auto-fits on "not fitted"-like messages; a grid change needs a deliberate re-fit.
  if (!gridMatches || memory.dim !== features.dim) {
    throw new TokenGridMismatchError(
      `Token grid mismatch: the model was fitted with a ${memory.tokenH}x${memory.tokenW} grid of ${memory.dim}-d features, ` +
        `the current backbone gives ${features.gridH}x${features.gridW} of ${features.dim}-d; re-fit this model with the current backbone`,
      {
        memory: { tokenH: memory.tokenH, tokenW: memory.tokenW, dim: memory.dim },
        backbone: { tokenH: features.gridH, tokenW: features.gridW, dim: features.dim },
      },
    );
  }
  const distances = nearestDistances(memory.index, features.features, features.dim);
  // The map view's and the context view's own memories, where the model has them; else the score's distances.
  const mapGrid = mapDistances({ ...prepared, distances }, profile, memory);
  const t2 = performance.now();

  const { map, scoreMap } = buildAnomalyMaps(
    { distances, gridH: features.gridH, gridW: features.gridW, letterbox: prepared.letterbox, shape: input.shape },
    profile?.smoothing,
    mapGrid,
  );
  const score = anomalyScore(scoreMap, profile?.score ?? { kind: 'percentile', value: input.scorePercentile });
  const out: InferOutput = {
    score,
    tokenShape: [features.gridH, features.gridW],
    timings: { decode: prepared.decodeMs, backbone: prepared.backboneMs, knn: loadMs + t2 - t1, post: 0 },
    memoryLoaded: ctx.memories.loads !== loadsBefore,
  };
  // An OK part's heatmap would be thrown away by the service: not drawn (a PNG of the crop costs ~1.5 ms).
  const wantHeatmap =
    input.wantHeatmap === 'ng' ? input.threshold !== undefined && input.threshold !== null && decisionOf(score, input.threshold) === 'ng' : input.wantHeatmap;
  if (wantHeatmap) {
    const scale = heatmapScaleOf(map.valid, input.heatmapScale ?? 'image', input.threshold);
    const png = await anomalyHeatmapPng(map, scale);
    out.heatmapScale = scale;
    out.heatmapPngBase64 = Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64');
  }
  if (input.threshold !== undefined && input.threshold !== null) {
    out.regions = anomalyRegions(map, { threshold: input.threshold, areaMm2Thr: input.areaMm2Thr, mmPerPx: input.mmPerPx });
  }
  if (input.returnMap) out.map = { heat: map.heat, width: map.width, height: map.height };
  out.timings.post = performance.now() - t2;
  return out;
}
