// Combining several layers into one patch-feature grid, as PatchCore does: local neighbourhood average per
// layer, bilinear resampling to a common grid (align_corners=false, like torch's F.interpolate), channel concat.
import type { CombineSpec } from './manifest';
import type { FeatureMap } from './feature-map';
import { loadNativeAddon } from '../native-addon';

export function combineLayers(maps: readonly FeatureMap[], spec: CombineSpec): FeatureMap {
  const target = chooseGrid(maps, spec.grid);
  const aligned = maps.map((map) => {
    const averaged = neighbourhoodAverage(map, spec.neighbourhoodAverage);
    return resampleBilinear(averaged, target.h, target.w);
  });
  return concatChannels(aligned);
}

export function chooseGrid(maps: readonly FeatureMap[], rule: CombineSpec['grid']): { h: number; w: number } {
  let best = maps[0];
  for (const map of maps) {
    if (rule === 'finest' && map.h * map.w > best.h * best.w) best = map;
    if (rule === 'coarsest' && map.h * map.w < best.h * best.w) best = map;
  }
  return { h: best.h, w: best.w };
}

/** k×k box average with zero padding counted in the divisor (torch AvgPool2d(k, 1, k // 2) defaults). */
export function neighbourhoodAverage(map: FeatureMap, k: number): FeatureMap {
  if (k <= 1) return map;
  const { h, w, c, data } = map;
  const r = Math.floor(k / 2);
  const rows = new Float32Array(data.length);
  // Separable: sum along x, then along y.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dst = (y * w + x) * c;
      for (let dx = -r; dx <= r; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= w) continue;
        const src = (y * w + xx) * c;
        for (let ch = 0; ch < c; ch++) rows[dst + ch] += data[src + ch];
      }
    }
  }
  const out = new Float32Array(data.length);
  const inv = 1 / (k * k);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dst = (y * w + x) * c;
      for (let dy = -r; dy <= r; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        const src = (yy * w + x) * c;
        for (let ch = 0; ch < c; ch++) out[dst + ch] += rows[src + ch];
      }
      for (let ch = 0; ch < c; ch++) out[dst + ch] *= inv;
    }
  }
  return { data: out, h, w, c };
}

/** Bilinear resize with half-pixel centres and edge clamping (torch bilinear, align_corners=false). */
export function resampleBilinear(map: FeatureMap, outH: number, outW: number): FeatureMap {
  if (map.h === outH && map.w === outW) return map;
  const { h, w, c, data } = map;
  const ys = axisSamples(h, outH);
  const xs = axisSamples(w, outW);
  const out = new Float32Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const { i0: y0, i1: y1, t: ty } = ys[y];
    for (let x = 0; x < outW; x++) {
      const { i0: x0, i1: x1, t: tx } = xs[x];
      const w00 = (1 - ty) * (1 - tx);
      const w01 = (1 - ty) * tx;
      const w10 = ty * (1 - tx);
      const w11 = ty * tx;
      const a = (y0 * w + x0) * c;
      const b = (y0 * w + x1) * c;
      const d = (y1 * w + x0) * c;
      const e = (y1 * w + x1) * c;
      const dst = (y * outW + x) * c;
      for (let ch = 0; ch < c; ch++) {
        out[dst + ch] = w00 * data[a + ch] + w01 * data[b + ch] + w10 * data[d + ch] + w11 * data[e + ch];
      }
    }
  }
  return { data: out, h: outH, w: outW, c };
}

function axisSamples(inSize: number, outSize: number): Array<{ i0: number; i1: number; t: number }> {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    return { i0, i1, t: src - i0 };
  });
}

export function concatChannels(maps: readonly FeatureMap[]): FeatureMap {
  if (maps.length === 1) return maps[0];
  const { h, w } = maps[0];
  const c = maps.reduce((sum, m) => sum + m.c, 0);
  const out = new Float32Array(h * w * c);
  let column = 0;
  for (const map of maps) {
    loadNativeAddon().copyColumns(map.data, h * w, map.c, map.c, 1, out, c, column);
    column += map.c;
  }
  return { data: out, h, w, c };
}
