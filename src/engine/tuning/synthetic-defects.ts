// Synthetic defects pasted into held-out OK images at fit time (issue 16 item 2): the tuner scores them against the
// untouched OK images to pick the feature settings that separate them best. Pure and deterministic: no Nest, no I/O.
//
// Every size is relative to the crop and every contrast relative to the local image statistics, so the same code
// gives plausible, subtle defects on bright metal, on dark products on black backgrounds, on grey cells and on tiles.
// Edges are feathered (1–2 px) so that a defect is not found by a sharp-edge artefact alone.
//
// Kinds:
// - scratch: a slightly curved thin line (quadratic Bézier), 15–50 % of the longer side, 1–3 px wide, darker or brighter;
// - spot:    a filled irregular ellipse, 3–12 % of the shorter side;
// - dent:    a smooth gaussian brightness depression or bulge, larger and subtler than a spot;
// - patch:   a rectangle or ellipse cut from a donor OK image (or elsewhere in the same image), optionally rotated by
//            90/180° or flipped, pasted with a feathered border (CutPaste-style); copies colour.
// scratch, spot and dent change all channels by the same grey-level delta.
//
// mask: exactly the pixels whose bytes changed; every other pixel is byte-identical to the input. For scratch, spot and
// dent a pixel is only changed when the change is material (≥ SYNTHETIC_MASK_DELTA grey levels in some channel).

import { createPrng, Prng } from '../seeded-prng';
import { RgbImage } from '../types';

export type SyntheticDefectKind = 'scratch' | 'spot' | 'dent' | 'patch';

export const SYNTHETIC_DEFECT_KINDS: readonly SyntheticDefectKind[] = ['scratch', 'spot', 'dent', 'patch'];

export interface SyntheticDefect {
  image: RgbImage;
  /** width*height, 1 = defect (the pixel differs from the input). */
  mask: Uint8Array;
  kind: SyntheticDefectKind;
}

/** Smallest peak grey-level change of a scratch, spot or dent (visible but subtle on dark uniform regions). */
export const SYNTHETIC_MIN_DELTA = 12;
/** Smallest per-pixel change that a scratch, spot or dent applies; smaller ones leave the pixel untouched. */
export const SYNTHETIC_MASK_DELTA = 4;
/** Smallest crop side accepted. */
export const SYNTHETIC_MIN_SIDE = 8;

/** Weights in [0, 1] over an inclusive-exclusive box of the image. */
interface Field {
  x0: number;
  y0: number;
  w: number;
  h: number;
  weight: Float32Array;
}

const uniform = (prng: Prng, lo: number, hi: number): number => lo + (hi - lo) * prng.next();
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const luma = (d: Uint8Array, p: number): number => (77 * d[p] + 150 * d[p + 1] + 29 * d[p + 2]) >> 8;

/** Feather width in pixels: 1 px on small crops, up to 2 px on large ones. */
const featherFor = (short: number): number => clamp(short / 200, 1, 2);

function checkImage(image: RgbImage, what: string, minSide: number): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < minSide || height < minSide) {
    throw new RangeError(`${what} must be at least ${minSide}×${minSide} pixels (got ${width}×${height})`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`${what} data has ${data.length} bytes, expected ${width * height * 3} (RGB)`);
  }
}

/** A seed for (seed, salt) that differs well for neighbouring salts. */
function deriveSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function emptyField(x0: number, y0: number, x1: number, y1: number): Field {
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  return { x0, y0, w, h, weight: new Float32Array(w * h) };
}

/** Rescales so that the peak weight is exactly 1 (the peak carries the full contrast whatever the sub-pixel position). */
function normalizeField(field: Field): Field {
  let max = 0;
  for (let i = 0; i < field.weight.length; i++) if (field.weight[i] > max) max = field.weight[i];
  if (max > 0 && max < 1) for (let i = 0; i < field.weight.length; i++) field.weight[i] /= max;
  return field;
}

function scratchField(prng: Prng, W: number, H: number): Field {
  const short = Math.min(W, H);
  const long = Math.max(W, H);
  const halfWidth = clamp((short / 200) * uniform(prng, 0.75, 1.25), 1, 3) / 2;
  const feather = featherFor(short);
  const reach = halfWidth + feather;
  const availX = W - 1 - 2 * reach;
  const availY = H - 1 - 2 * reach;
  const wanted = Math.max(3, uniform(prng, 0.15, 0.5) * long);
  // Direction: a few tries for one along which the wanted length fits (elongated crops prefer their long axis).
  let dx = 0;
  let dy = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const angle = uniform(prng, 0, Math.PI);
    const cx = wanted * Math.cos(angle);
    const cy = wanted * Math.sin(angle);
    const scale = Math.min(1, availX / Math.max(1e-9, Math.abs(cx)), availY / Math.max(1e-9, Math.abs(cy)));
    if (scale * wanted > Math.hypot(dx, dy)) {
      dx = cx * scale;
      dy = cy * scale;
    }
    if (scale >= 1) break;
  }
  const p0x = uniform(prng, reach + Math.max(0, -dx), W - 1 - reach - Math.max(0, dx));
  const p0y = uniform(prng, reach + Math.max(0, -dy), H - 1 - reach - Math.max(0, dy));
  const p2x = p0x + dx;
  const p2y = p0y + dy;
  const length = Math.hypot(dx, dy);
  const bend = uniform(prng, -0.15, 0.15) * length;
  const nx = length > 0 ? -dy / length : 0;
  const ny = length > 0 ? dx / length : 1;
  // The curve stays in the hull of its control points: all three inside the margin keep it inside the crop.
  const p1x = clamp((p0x + p2x) / 2 + bend * nx, reach, W - 1 - reach);
  const p1y = clamp((p0y + p2y) / 2 + bend * ny, reach, H - 1 - reach);

  const segments = Math.max(4, Math.ceil(length / 1.5));
  const px = new Float64Array(segments + 1);
  const py = new Float64Array(segments + 1);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let s = 0; s <= segments; s++) {
    const t = s / segments;
    const a = (1 - t) * (1 - t);
    const b = 2 * (1 - t) * t;
    const c = t * t;
    px[s] = a * p0x + b * p1x + c * p2x;
    py[s] = a * p0y + b * p1y + c * p2y;
    minX = Math.min(minX, px[s]);
    maxX = Math.max(maxX, px[s]);
    minY = Math.min(minY, py[s]);
    maxY = Math.max(maxY, py[s]);
  }
  const field = emptyField(
    Math.max(0, Math.floor(minX - reach)),
    Math.max(0, Math.floor(minY - reach)),
    Math.min(W - 1, Math.ceil(maxX + reach)),
    Math.min(H - 1, Math.ceil(maxY + reach)),
  );
  // Stamp each segment into its own small box, keeping the strongest weight: cost ~ length × (2·reach)².
  for (let s = 0; s < segments; s++) {
    const ax = px[s];
    const ay = py[s];
    const ex = px[s + 1] - ax;
    const ey = py[s + 1] - ay;
    const len2 = ex * ex + ey * ey || 1e-12;
    const xa = Math.max(field.x0, Math.floor(Math.min(ax, ax + ex) - reach));
    const xb = Math.min(field.x0 + field.w - 1, Math.ceil(Math.max(ax, ax + ex) + reach));
    const ya = Math.max(field.y0, Math.floor(Math.min(ay, ay + ey) - reach));
    const yb = Math.min(field.y0 + field.h - 1, Math.ceil(Math.max(ay, ay + ey) + reach));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const u = clamp(((x - ax) * ex + (y - ay) * ey) / len2, 0, 1);
        const qx = x - ax - u * ex;
        const qy = y - ay - u * ey;
        const dist = Math.sqrt(qx * qx + qy * qy);
        if (dist >= reach) continue;
        const profile = dist <= halfWidth ? 1 : 1 - (dist - halfWidth) / feather;
        const t = (s + u) / segments;
        const taper = Math.min(1, 0.3 + 7 * Math.min(t, 1 - t)); // fades in and out over the ends
        const k = (y - field.y0) * field.w + (x - field.x0);
        const v = profile * taper;
        if (v > field.weight[k]) field.weight[k] = v;
      }
    }
  }
  return normalizeField(field);
}

/**
 * A field centred at a random point `reach` px inside the crop; weightAt gets the pixel's coordinates in the frame of
 * an ellipse rotated by `angle`, divided by its semi-axes (a, b).
 */
function ellipticField(
  prng: Prng,
  W: number,
  H: number,
  reach: number,
  angle: number,
  a: number,
  b: number,
  weightAt: (u: number, v: number) => number,
): Field {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = uniform(prng, reach, W - 1 - reach);
  const cy = uniform(prng, reach, H - 1 - reach);
  const field = emptyField(Math.ceil(cx - reach), Math.ceil(cy - reach), Math.floor(cx + reach), Math.floor(cy + reach));
  for (let y = field.y0; y < field.y0 + field.h; y++) {
    for (let x = field.x0; x < field.x0 + field.w; x++) {
      const ox = x - cx;
      const oy = y - cy;
      field.weight[(y - field.y0) * field.w + (x - field.x0)] = weightAt((ox * cos + oy * sin) / a, (-ox * sin + oy * cos) / b);
    }
  }
  return normalizeField(field);
}

function spotField(prng: Prng, W: number, H: number): Field {
  const short = Math.min(W, H);
  const feather = featherFor(short);
  const extent = uniform(prng, 0.03, 0.12) * short;
  const minRadius = Math.max(1.5, feather);
  const ra = clamp((extent / 2) * uniform(prng, 0.8, 1), minRadius, short * 0.2);
  const rb = clamp(ra * uniform(prng, 0.5, 1), minRadius, short * 0.2);
  const angle = uniform(prng, 0, Math.PI);
  // Irregular outline: radius modulated by harmonics 2–4 (Σ amplitudes ≤ 0.3).
  const harmonic = (): { a: number; c: number; s: number } => {
    const a = uniform(prng, 0, 0.1);
    const phase = uniform(prng, 0, 2 * Math.PI);
    return { a, c: Math.cos(phase), s: Math.sin(phase) };
  };
  const h2 = harmonic();
  const h3 = harmonic();
  const h4 = harmonic();
  const bulge = 1 + h2.a + h3.a + h4.a;
  const reach = Math.max(ra, rb) * bulge + feather / 2 + 0.5;
  return ellipticField(prng, W, H, reach, angle, ra, rb, (u, v) => {
    const rho = Math.sqrt(u * u + v * v);
    // cos/sin of the polar angle θ and of 2θ, 3θ, 4θ by the angle-sum identities (no trigonometry per pixel).
    const c1 = rho > 0 ? u / rho : 1;
    const s1 = rho > 0 ? v / rho : 0;
    const c2 = c1 * c1 - s1 * s1;
    const s2 = 2 * s1 * c1;
    const c3 = c2 * c1 - s2 * s1;
    const s3 = s2 * c1 + c2 * s1;
    const c4 = c2 * c2 - s2 * s2;
    const s4 = 2 * s2 * c2;
    const edge = 1 + h2.a * (c2 * h2.c - s2 * h2.s) + h3.a * (c3 * h3.c - s3 * h3.s) + h4.a * (c4 * h4.c - s4 * h4.s);
    // Signed distance to the outline in pixels (approximately), feathered symmetrically around it.
    const dist = (rho - edge) * Math.sqrt(ra * ra * c1 * c1 + rb * rb * s1 * s1);
    return clamp(0.5 - dist / feather, 0, 1);
  });
}

function dentField(prng: Prng, W: number, H: number): Field {
  const short = Math.min(W, H);
  const sa = clamp(uniform(prng, 0.03, 0.07) * short, 1, short * 0.12);
  const sb = clamp(sa * uniform(prng, 0.6, 1), 1, short * 0.12);
  const angle = uniform(prng, 0, Math.PI);
  const reach = 3 * Math.max(sa, sb); // exp(-4.5) ≈ 0.011: below SYNTHETIC_MASK_DELTA for every amplitude used
  return ellipticField(prng, W, H, reach, angle, sa, sb, (u, v) => {
    const q = u * u + v * v;
    return q < 9 ? Math.exp(-0.5 * q) : 0;
  });
}

/** 5th–95th percentile span of the luma around the field (its box grown by a quarter of its size) and the weighted mean under it. */
function localStats(image: RgbImage, field: Field): { range: number; mean: number } {
  const { data, width, height } = image;
  const margin = Math.max(4, Math.round(Math.max(field.w, field.h) / 4));
  const xa = Math.max(0, field.x0 - margin);
  const xb = Math.min(width - 1, field.x0 + field.w - 1 + margin);
  const ya = Math.max(0, field.y0 - margin);
  const yb = Math.min(height - 1, field.y0 + field.h - 1 + margin);
  const hist = new Uint32Array(256);
  // Large regions are sampled on every other row and column: percentiles need no more.
  const step = (xb - xa + 1) * (yb - ya + 1) > 8192 ? 2 : 1;
  let total = 0;
  for (let y = ya; y <= yb; y += step) {
    for (let x = xa; x <= xb; x += step) {
      hist[luma(data, (y * width + x) * 3)]++;
      total++;
    }
  }
  const quantile = (q: number): number => {
    const target = q * (total - 1);
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += hist[v];
      if (seen > target) return v;
    }
    return 255;
  };
  let sum = 0;
  let weights = 0;
  for (let j = 0; j < field.h; j++) {
    for (let i = 0; i < field.w; i++) {
      const w = field.weight[j * field.w + i];
      if (w <= 0) continue;
      sum += w * luma(data, ((field.y0 + j) * width + field.x0 + i) * 3);
      weights += w;
    }
  }
  return { range: quantile(0.95) - quantile(0.05), mean: weights > 0 ? sum / weights : 128 };
}

/** Adds round(delta·weight) to every channel where that is material; returns the peak change applied (0 = nothing). */
function applyDelta(src: RgbImage, out: Uint8Array, mask: Uint8Array, field: Field, delta: number): number {
  const { data, width } = src;
  let peak = 0;
  for (let j = 0; j < field.h; j++) {
    for (let i = 0; i < field.w; i++) {
      const pixel = (field.y0 + j) * width + field.x0 + i;
      const p = pixel * 3;
      // Restore first: a retry with another delta starts from the input.
      out[p] = data[p];
      out[p + 1] = data[p + 1];
      out[p + 2] = data[p + 2];
      mask[pixel] = 0;
      const d = Math.round(delta * field.weight[j * field.w + i]);
      if (Math.abs(d) < SYNTHETIC_MASK_DELTA) continue;
      const r = clamp(data[p] + d, 0, 255);
      const g = clamp(data[p + 1] + d, 0, 255);
      const b = clamp(data[p + 2] + d, 0, 255);
      const change = Math.max(Math.abs(r - data[p]), Math.abs(g - data[p + 1]), Math.abs(b - data[p + 2]));
      if (change < SYNTHETIC_MASK_DELTA) continue;
      out[p] = r;
      out[p + 1] = g;
      out[p + 2] = b;
      mask[pixel] = 1;
      if (change > peak) peak = change;
    }
  }
  return peak;
}

/** Grey-level defect: contrast ±(lo–hi)× local dynamic range, at least SYNTHETIC_MIN_DELTA, signed away from clipping. */
function paintField(prng: Prng, image: RgbImage, field: Field, lo: number, hi: number): { data: Uint8Array; mask: Uint8Array } {
  const out = image.data.slice();
  const mask = new Uint8Array(image.width * image.height);
  const { range, mean } = localStats(image, field);
  const amplitude = Math.max(SYNTHETIC_MIN_DELTA, uniform(prng, lo, hi) * range);
  const coin = prng.next() < 0.5 ? -1 : 1;
  let sign: number;
  if (mean - amplitude < 0 && 255 - mean > mean) sign = 1;
  else if (mean + amplitude > 255 && mean > 255 - mean) sign = -1;
  else sign = coin;
  // Where clipping eats the contrast, the other direction, then more contrast; keep the strongest outcome.
  let best = { delta: 0, peak: -1 };
  for (const delta of [sign * amplitude, -sign * amplitude, sign * 2 * amplitude, -sign * 2 * amplitude]) {
    const peak = applyDelta(image, out, mask, field, delta);
    if (peak >= SYNTHETIC_MIN_DELTA) return { data: out, mask };
    if (peak > best.peak) best = { delta, peak };
  }
  applyDelta(image, out, mask, field, best.delta);
  return { data: out, mask };
}

type Transform = 'none' | 'rot90' | 'rot180' | 'flipH' | 'flipV';
const TRANSFORMS: readonly Transform[] = ['none', 'rot90', 'rot180', 'flipH', 'flipV'];

function pastePatch(prng: Prng, image: RgbImage, donor: RgbImage | undefined): { data: Uint8Array; mask: Uint8Array } {
  const { width: W, height: H, data } = image;
  const short = Math.min(W, H);
  const feather = featherFor(short);
  const src = donor ?? image;
  const extent = uniform(prng, 0.03, 0.12) * short;
  const aspect = uniform(prng, 0.5, 1);
  const long = clamp(Math.round(extent), 4, Math.floor(short / 2));
  const narrow = clamp(Math.round(extent * aspect), 4, Math.floor(short / 2));
  let pw = prng.next() < 0.5 ? long : narrow;
  let ph = pw === long ? narrow : long;
  const ellipse = prng.next() < 0.5;
  const transform = TRANSFORMS[prng.int(TRANSFORMS.length)];
  const swap = transform === 'rot90';
  // Source box in src coordinates (sw × sh); a small donor shrinks the patch.
  if (swap) {
    ph = Math.min(ph, src.width);
    pw = Math.min(pw, src.height);
  } else {
    pw = Math.min(pw, src.width);
    ph = Math.min(ph, src.height);
  }
  const sw = swap ? ph : pw;
  const sh = swap ? pw : ph;
  const tx = prng.int(W - pw + 1);
  const ty = prng.int(H - ph + 1);
  let sx = prng.int(src.width - sw + 1);
  let sy = prng.int(src.height - sh + 1);
  if (!donor) {
    // Same image: take the source from another place (the farthest of a few draws from the target).
    let bestDist = Math.hypot(sx - tx, sy - ty);
    for (let attempt = 0; attempt < 8 && bestDist < Math.max(pw, ph); attempt++) {
      const cx = prng.int(src.width - sw + 1);
      const cy = prng.int(src.height - sh + 1);
      const dist = Math.hypot(cx - tx, cy - ty);
      if (dist > bestDist) {
        bestDist = dist;
        sx = cx;
        sy = cy;
      }
    }
  }
  const sourceAt = (i: number, j: number): number => {
    let u = i;
    let v = j;
    if (transform === 'rot90') {
      u = j;
      v = pw - 1 - i;
    } else if (transform === 'rot180') {
      u = pw - 1 - i;
      v = ph - 1 - j;
    } else if (transform === 'flipH') u = pw - 1 - i;
    else if (transform === 'flipV') v = ph - 1 - j;
    return ((sy + v) * src.width + sx + u) * 3;
  };
  // Alpha: 1 inside, ramping to 0 over `feather` px inside the outline.
  const alpha = new Float32Array(pw * ph);
  const hx = pw / 2;
  const hy = ph / 2;
  for (let j = 0; j < ph; j++) {
    for (let i = 0; i < pw; i++) {
      let inside: number;
      if (ellipse) {
        const u = (i + 0.5 - hx) / hx;
        const v = (j + 0.5 - hy) / hy;
        inside = (1 - Math.sqrt(u * u + v * v)) * Math.min(hx, hy);
      } else {
        inside = Math.min(i + 0.5, pw - 0.5 - i, j + 0.5, ph - 0.5 - j);
      }
      alpha[j * pw + i] = clamp(inside / feather, 0, 1);
    }
  }
  // Pasting the same content (e.g. flat background onto flat background) is no defect: when under a fifth of the
  // shape would change by ≥ SYNTHETIC_MASK_DELTA in some channel, the pasted copy is shifted by ±SYNTHETIC_MIN_DELTA grey levels.
  let material = 0;
  let area = 0;
  let meanGrey = 0;
  for (let j = 0; j < ph; j++) {
    for (let i = 0; i < pw; i++) {
      if (alpha[j * pw + i] <= 0) continue;
      area++;
      const p = ((ty + j) * W + tx + i) * 3;
      const s = sourceAt(i, j);
      meanGrey += luma(data, p);
      const change = Math.max(
        Math.abs(src.data[s] - data[p]),
        Math.abs(src.data[s + 1] - data[p + 1]),
        Math.abs(src.data[s + 2] - data[p + 2]),
      );
      if (change >= SYNTHETIC_MASK_DELTA) material++;
    }
  }
  meanGrey /= Math.max(1, area);
  let offset = 0;
  if (material < 0.2 * area) {
    offset = meanGrey < 128 ? SYNTHETIC_MIN_DELTA : -SYNTHETIC_MIN_DELTA;
  }
  const out = data.slice();
  const mask = new Uint8Array(W * H);
  for (let j = 0; j < ph; j++) {
    for (let i = 0; i < pw; i++) {
      const a = alpha[j * pw + i];
      if (a <= 0) continue;
      const s = sourceAt(i, j);
      const pixel = (ty + j) * W + tx + i;
      const p = pixel * 3;
      let changed = false;
      for (let c = 0; c < 3; c++) {
        const v = Math.round(a * clamp(src.data[s + c] + offset, 0, 255) + (1 - a) * data[p + c]);
        if (v !== data[p + c]) {
          out[p + c] = v;
          changed = true;
        }
      }
      if (changed) mask[pixel] = 1;
    }
  }
  return { data: out, mask };
}

/**
 * One synthetic defect in a copy of `image`. Deterministic for (image, donor, seed, kind).
 * donor: another OK image (any size) used by 'patch' (CutPaste-style); when absent 'patch' takes the source from the
 * same image at another place. Throws RangeError for images under SYNTHETIC_MIN_SIDE px or with a wrong data length.
 */
export function synthesizeDefect(image: RgbImage, seed: number, kind: SyntheticDefectKind, donor?: RgbImage): SyntheticDefect {
  checkImage(image, 'image', SYNTHETIC_MIN_SIDE);
  const kindIndex = SYNTHETIC_DEFECT_KINDS.indexOf(kind);
  if (kindIndex < 0) throw new RangeError(`unknown synthetic defect kind '${String(kind)}'`);
  if (donor) checkImage(donor, 'donor', 1);
  const prng = createPrng(deriveSeed(seed >>> 0, kindIndex));
  const { width: W, height: H } = image;
  let painted: { data: Uint8Array; mask: Uint8Array };
  if (kind === 'scratch') painted = paintField(prng, image, scratchField(prng, W, H), 0.15, 0.4);
  else if (kind === 'spot') painted = paintField(prng, image, spotField(prng, W, H), 0.15, 0.4);
  else if (kind === 'dent') painted = paintField(prng, image, dentField(prng, W, H), 0.1, 0.25);
  else painted = pastePatch(prng, image, donor && donor.width >= 4 && donor.height >= 4 ? donor : undefined);
  return { image: { data: painted.data, width: W, height: H }, mask: painted.mask, kind };
}

/**
 * n defects cycling through the kinds (scratch, spot, dent, patch, …), seeds derived from `seed`. Defect i goes into
 * images[(i + ⌊i/4⌋) mod len] so that each image receives every kind over the cycles; a patch takes the next image
 * as its donor (none when there is only one image).
 */
export function synthesizeDefects(images: RgbImage[], n: number, seed: number): SyntheticDefect[] {
  if (n <= 0) return [];
  if (images.length === 0) throw new RangeError('synthesizeDefects needs at least one image');
  const kinds = SYNTHETIC_DEFECT_KINDS.length;
  const out: SyntheticDefect[] = [];
  for (let i = 0; i < n; i++) {
    const index = (i + Math.floor(i / kinds)) % images.length;
    const donor = images.length > 1 ? images[(index + 1) % images.length] : undefined;
    out.push(synthesizeDefect(images[index], deriveSeed(seed >>> 0, 1000 + i), SYNTHETIC_DEFECT_KINDS[i % kinds], donor));
  }
  return out;
}
