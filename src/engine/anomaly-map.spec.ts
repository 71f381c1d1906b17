// The native post-processing (upsample + blur, order statistics, 8-bit visual) against the TypeScript references
// it replaced: tolerance 0 — heat maps, scores and gray levels are bit-identical.
import { anomalyMapValues, anomalyRegions, anomalyScore, addContextDistances, blendMapDistances, buildAnomalyMap, buildAnomalyMaps } from './anomaly-map';
import { gaussianBlur } from './gaussian-blur';
import { heatmapToGray } from './heatmap-png';
import { letterboxGeometry } from './letterbox';
import { percentile } from './percentile';
import { findRegions } from './regions';
import { buildRoiMask } from './roi-mask';
import { createPrng } from './seeded-prng';
import { tokenGridToCrop } from './token-map';
import type { RoiShape } from './types';

/** The pre-native per-pixel gray loop, verbatim. */
function referenceGray(heat: Float32Array, mask: Uint8Array, mn: number, mx: number): Uint8Array {
  const out = new Uint8Array(heat.length);
  if (!(mx > mn)) return out;
  for (let i = 0; i < heat.length; i++) {
    if (mask[i] === 0) continue;
    let v = (heat[i] - mn) / (mx - mn);
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = Math.trunc(v * 255 + 0.5);
  }
  return out;
}

const CASES: Array<{ w: number; h: number; grid: number; input: number; shape: RoiShape | null }> = [
  { w: 448, h: 448, grid: 28, input: 448, shape: { kind: 'circle', cx: 224, cy: 224, r: 224 } },
  { w: 301, h: 117, grid: 16, input: 224, shape: { kind: 'annulus', cx: 150, cy: 58, r: 50, r_inner: 20 } },
  { w: 64, h: 200, grid: 14, input: 224, shape: { kind: 'rect', x: 5, y: 10, w: 40, h: 150 } },
  { w: 37, h: 5, grid: 8, input: 112, shape: null },
];

describe('buildAnomalyMap (native) equals the TypeScript reference', () => {
  it.each(CASES)('$w x $h crop, $grid x $grid grid', ({ w, h, grid, input, shape }) => {
    const rng = createPrng(w * 1000 + h);
    const distances = new Float32Array(grid * grid).map(() => rng.next() * 3);
    distances[Math.floor(grid * grid * 0.4)] = 9; // one hot token: a region and a long upper tail
    const letterbox = letterboxGeometry(w, h, input, input);
    const map = buildAnomalyMap({ distances, gridH: grid, gridW: grid, letterbox, shape });

    const heat = gaussianBlur(tokenGridToCrop(distances, grid, grid, letterbox), w, h, 1);
    expect(Buffer.from(map.heat.buffer).equals(Buffer.from(heat.buffer))).toBe(true);
    const mask = buildRoiMask(h, w, shape);
    expect(Buffer.from(map.mask).equals(Buffer.from(mask))).toBe(true);

    const inMask = Array.from(heat).filter((_, i) => mask[i] > 0);
    const values = anomalyMapValues({ distances, gridH: grid, gridW: grid, letterbox, shape });
    expect(values.valid.length).toBe(inMask.length);
    for (const p of [0, 1, 37.5, 50, 99, 100]) {
      expect(anomalyScore(map, { kind: 'percentile', value: p })).toBe(percentile(inMask, p));
      expect(anomalyScore(values, { kind: 'percentile', value: p })).toBe(percentile(inMask, p));
    }

    const gray = heatmapToGray(map.heat, map.mask, map.valid);
    const ref = referenceGray(heat, mask, percentile(inMask, 1), percentile(inMask, 99));
    expect(Buffer.from(gray).equals(Buffer.from(ref))).toBe(true);
    expect(gray.some((v) => v === 255)).toBe(true);

    const options = { threshold: percentile(inMask, 97), areaMm2Thr: 0, mmPerPx: 1 };
    const regions = anomalyRegions(map, options);
    expect(regions.length).toBeGreaterThan(0);
    expect(regions).toEqual(findRegions(heat, mask, w, h, options));
  });

  it('does not share state between maps of the same geometry', () => {
    const letterbox = letterboxGeometry(50, 50, 112, 112);
    const a = buildAnomalyMap({ distances: new Float32Array(64).fill(1), gridH: 8, gridW: 8, letterbox });
    const b = buildAnomalyMap({ distances: new Float32Array(64).fill(2), gridH: 8, gridW: 8, letterbox });
    expect([anomalyScore(a, { kind: 'percentile', value: 50 }), anomalyScore(b, { kind: 'percentile', value: 50 })]).toEqual([1, 2]);
  });
});

describe('buildAnomalyMaps: the shown map and the score map, each smoothed as the profile says', () => {
  const letterbox = letterboxGeometry(64, 64, 64, 64); // 8×8 cells of 8 px
  const spike = (): Float32Array => {
    const d = new Float32Array(64).fill(0.1);
    d[3 * 8 + 4] = 5; // one hot patch: noise as far as a regional score is concerned
    return d;
  };
  const input = { distances: spike(), gridH: 8, gridW: 8, letterbox };

  it('without smoothing, is the original map, and one map serves both', () => {
    const { map, scoreMap } = buildAnomalyMaps(input, undefined);
    expect(scoreMap).toBe(map);
    expect(Buffer.from(map.heat.buffer).equals(Buffer.from(buildAnomalyMap(input).heat.buffer))).toBe(true);
  });

  it('reads the score from the grid smoothed by the score σ, and the map from the map σ', () => {
    const { map, scoreMap } = buildAnomalyMaps(input, { map: 0, score: 2 });
    const max = { kind: 'percentile' as const, value: 100 };
    expect(anomalyScore(map, max)).toBeGreaterThan(3.5); // the map keeps most of the patch's peak (upsampling, σ = 1 px)
    expect(anomalyScore(scoreMap, max)).toBeLessThan(1.5); // the score sees it spread over ~25 patches
    const { map: same, scoreMap: shared } = buildAnomalyMaps(input, { map: 1, score: 1 });
    expect(shared).toBe(same);
    expect(anomalyScore(same, max)).toBeLessThan(anomalyScore(map, max));
  });

  it("builds the map from the map view's distances and the score from the score view's, even at one σ", () => {
    const quiet = new Float32Array(64).fill(0.2);
    const { map, scoreMap } = buildAnomalyMaps(input, { map: 1, score: 1 }, quiet);
    const max = { kind: 'percentile' as const, value: 100 };
    expect(scoreMap).not.toBe(map);
    expect(anomalyScore(map, max)).toBeCloseTo(0.2, 6); // a flat grid stays flat through smoothing and upsampling
    expect(anomalyScore(scoreMap, max)).toBeGreaterThan(0.5); // the spike, smoothed at σ 1 (measured 0.81)
  });
});

describe('blendMapDistances', () => {
  it("mixes the map view's scaled distances with the score view's, per patch, into the view's array", () => {
    const view = Float32Array.of(1, 2);
    const out = blendMapDistances(Float32Array.of(0.5, 4), view, { scale: 2, blend: 0.25 });
    expect(out).toBe(view);
    expect(Array.from(out)).toEqual([0.25 * 2 * 1 + 0.75 * 0.5, 0.25 * 2 * 2 + 0.75 * 4]); // [0.875, 4]
    expect(Array.from(blendMapDistances(Float32Array.of(9, 9), Float32Array.of(1, 2), {}))).toEqual([1, 2]); // absent: the view alone
  });
});

describe('addContextDistances', () => {
  it("adds the context view's excess over its OK level, in score units, to the map, per patch, never below 0", () => {
    const map = Float32Array.of(0.5, 4, 0.25);
    const context = Float32Array.of(1, 2, 0);
    const out = addContextDistances(map, context, { gain: 0.5, scale: 2, level: 3 });
    expect(out).toBe(context);
    // 0.5 + 0.5·(2 − 3), 4 + 0.5·(4 − 3), max(0, 0.25 + 0.5·(0 − 3))
    expect(Array.from(out)).toEqual([0, 4.5, 0]);
    expect(Array.from(map)).toEqual([0.5, 4, 0.25]); // the score's distances may be the map: never written
    expect(Array.from(addContextDistances(Float32Array.of(9, 9), Float32Array.of(1, 2), { gain: 0 }))).toEqual([9, 9]);
    expect(Array.from(addContextDistances(Float32Array.of(1, 1), Float32Array.of(1, 2), { gain: 1 }))).toEqual([2, 3]); // absent: scale 1, level 0
  });
});
