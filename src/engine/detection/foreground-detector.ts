// Classical foreground detector: objects are regions that differ from the image's background.
// grayscale → background level (median of the border band) → |difference| → threshold (Otsu, bounded by the noise
// floor) → 3×3 opening then closing → 8-connected components → one box per component larger than 0.1 % of the image.
import type { RgbImage } from '../types';
import { byScoreThenPosition, DetectedObject, roundTo } from './detected-object';

export const FOREGROUND_MODEL_VERSION = 'bdi-classical-foreground-1';
export const FOREGROUND_LABEL = 'foreground';

/** Differences below this many grey levels are never foreground (JPEG noise, sensor noise, gentle shading). */
const MIN_CONTRAST = 12;
/** Components smaller than this fraction of the image are noise. */
const MIN_AREA_FRACTION = 0.001;
/** Mean difference (grey levels) at which the contrast term reaches 1 − 1/e ≈ 0.63. */
const CONTRAST_SCALE = 64;

/** Luma as Pillow's "L" conversion: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16. [h, w] row-major. */
export function toGray(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const gray = new Uint8Array(n);
  const rgb = image.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) gray[i] = (rgb[j] * 19595 + rgb[j + 1] * 38470 + rgb[j + 2] * 7471 + 0x8000) >> 16;
  return gray;
}

/** Median and robust spread (1.4826·MAD) of the border band, which we assume is mostly background. */
export function borderStatistics(gray: Uint8Array, width: number, height: number): { median: number; sigma: number } {
  const band = Math.max(1, Math.floor(Math.min(width, height) / 50));
  const histogram = new Uint32Array(256);
  let count = 0;
  for (let y = 0; y < height; y++) {
    const inRowBand = y < band || y >= height - band;
    for (let x = 0; x < width; x++) {
      if (inRowBand || x < band || x >= width - band) {
        histogram[gray[y * width + x]] += 1;
        count += 1;
      }
    }
  }
  const median = histogramMedian(histogram, count);
  const deviations = new Uint32Array(256);
  for (let v = 0; v < 256; v++) deviations[Math.abs(v - median)] += histogram[v];
  return { median, sigma: 1.4826 * histogramMedian(deviations, count) };
}

function histogramMedian(histogram: Uint32Array, count: number): number {
  const half = (count + 1) / 2;
  let seen = 0;
  for (let v = 0; v < histogram.length; v++) {
    seen += histogram[v];
    if (seen >= half) return v;
  }
  return 0;
}

/** Otsu's threshold t of an 8-bit histogram: class 0 = [0, t], class 1 = (t, 255]. */
export function otsuThreshold(histogram: Uint32Array): number {
  let total = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    total += histogram[v];
    sum += v * histogram[v];
  }
  let weight0 = 0;
  let sum0 = 0;
  let best = 0;
  let bestVariance = -1;
  for (let t = 0; t < 255; t++) {
    weight0 += histogram[t];
    sum0 += t * histogram[t];
    const weight1 = total - weight0;
    if (weight0 === 0 || weight1 === 0) continue;
    const mean0 = sum0 / weight0;
    const mean1 = (sum - sum0) / weight1;
    const variance = weight0 * weight1 * (mean0 - mean1) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = t;
    }
  }
  return best;
}

/** 3×3 erosion (min = AND) or dilation (max = OR) of a 0/1 mask, separable, edge pixels replicated. */
function morph3(mask: Uint8Array, width: number, height: number, op: 'min' | 'max'): Uint8Array {
  const pick = op === 'min' ? (a: number, b: number, c: number) => a & b & c : (a: number, b: number, c: number) => a | b | c;
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const left = mask[row + Math.max(0, x - 1)];
      const right = mask[row + Math.min(width - 1, x + 1)];
      rows[row + x] = pick(left, mask[row + x], right);
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width;
    const down = Math.min(height - 1, y + 1) * width;
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = pick(rows[up + x], rows[row + x], rows[down + x]);
  }
  return out;
}

/** Opening removes specks thinner than 3 px; closing then fills pinholes and 1–2 px cracks inside objects. */
export function openClose(mask: Uint8Array, width: number, height: number): Uint8Array {
  const opened = morph3(morph3(mask, width, height, 'min'), width, height, 'max');
  return morph3(morph3(opened, width, height, 'max'), width, height, 'min');
}

interface Component {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  area: number;
  differenceSum: number;
}

/** 8-connected components of a 0/1 mask, with their bounding box, area and summed |difference|. */
export function connectedComponents(mask: Uint8Array, difference: Uint8Array, width: number, height: number): Component[] {
  const visited = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const components: Component[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || visited[start]) continue;
    const c: Component = { minX: width, minY: height, maxX: -1, maxY: -1, area: 0, differenceSum: 0 };
    let top = 0;
    stack[top++] = start;
    visited[start] = 1;
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      c.area += 1;
      c.differenceSum += difference[p];
      if (x < c.minX) c.minX = x;
      if (x > c.maxX) c.maxX = x;
      if (y < c.minY) c.minY = y;
      if (y > c.maxY) c.maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (mask[q] && !visited[q]) {
            visited[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    components.push(c);
  }
  return components;
}

/**
 * Score in [0, 1]: contrast (how far the region's mean is from the background, saturating) weighted by compactness
 * (how much of its box it fills; thin diagonal streaks and ragged noise fill little).
 */
export function componentScore(meanDifference: number, fillRatio: number): number {
  const contrast = 1 - Math.exp(-meanDifference / CONTRAST_SCALE);
  return contrast * (0.6 + 0.4 * fillRatio);
}

export function detectForeground(image: RgbImage, minScore: number): DetectedObject[] {
  const { width, height } = image;
  if (width === 0 || height === 0) return [];
  const gray = toGray(image);
  const background = borderStatistics(gray, width, height);
  const difference = new Uint8Array(gray.length);
  const histogram = new Uint32Array(256);
  for (let i = 0; i < gray.length; i++) {
    const d = Math.abs(gray[i] - background.median);
    difference[i] = d;
    histogram[d] += 1;
  }
  // Half of Otsu: with several objects of different contrast, Otsu alone may put the faintest one in the
  // background class; the noise floor keeps flat or noisy backgrounds empty.
  const threshold = Math.max(MIN_CONTRAST, Math.ceil(3 * background.sigma), Math.floor(otsuThreshold(histogram) / 2));
  const mask = new Uint8Array(gray.length);
  for (let i = 0; i < gray.length; i++) mask[i] = difference[i] > threshold ? 1 : 0;
  const cleaned = openClose(mask, width, height);
  const minArea = Math.max(1, Math.ceil(MIN_AREA_FRACTION * width * height));
  const objects: DetectedObject[] = [];
  for (const c of connectedComponents(cleaned, difference, width, height)) {
    if (c.area < minArea) continue;
    const boxWidth = c.maxX - c.minX + 1;
    const boxHeight = c.maxY - c.minY + 1;
    const score = roundTo(componentScore(c.differenceSum / c.area, c.area / (boxWidth * boxHeight)), 3);
    if (score < minScore) continue;
    objects.push({ x: c.minX, y: c.minY, width: boxWidth, height: boxHeight, label: FOREGROUND_LABEL, score });
  }
  return objects.sort(byScoreThenPosition);
}
