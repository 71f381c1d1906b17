// How well a candidate separates synthetic defects from clean held-out images: rank AUROC, on image scores and
// on grid cells. Small arrays (tens of images, tens of thousands of cells): a sort is enough.
import type { Letterbox } from '../types';

/** Mann–Whitney AUROC: P(positive > negative) + ½ P(tie). NaN when either side is empty. */
export function rankAuroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const n1 = positives.length;
  const n0 = negatives.length;
  if (n1 === 0 || n0 === 0) return NaN;
  const values = new Float64Array(n1 + n0);
  for (let i = 0; i < n1; i++) values[i] = positives[i];
  for (let i = 0; i < n0; i++) values[n1 + i] = negatives[i];
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const midRank = (i + j) / 2 + 1; // ties share their mean rank
    for (let k = i; k <= j; k++) if (order[k] < n1) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

/** Image scores of one candidate: the synthetic-defect images (positives) and the clean held-out ones. */
export interface ScoredSamples {
  positives: ArrayLike<number>;
  negatives: ArrayLike<number>;
}

/**
 * Standard error of AUROC(a) − AUROC(b) when both candidates scored the same images (DeLong et al., 1988): the
 * per-image placement values of the two candidates move together, so a paired difference is measured far more
 * tightly than either AUROC alone.
 */
export function pairedAurocDifferenceSe(a: ScoredSamples, b: ScoredSamples): number {
  const m = a.positives.length;
  const n = a.negatives.length;
  if (m < 2 || n < 2 || b.positives.length !== m || b.negatives.length !== n) return NaN;
  const psi = (x: number, y: number): number => (x > y ? 1 : x === y ? 0.5 : 0);
  const rowDiff = new Float64Array(m); // V10 of a minus V10 of b, per positive
  const colDiff = new Float64Array(n); // V01 of a minus V01 of b, per negative
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const d = psi(a.positives[i], a.negatives[j]) - psi(b.positives[i], b.negatives[j]);
      rowDiff[i] += d / n;
      colDiff[j] += d / m;
    }
  }
  return Math.sqrt(sampleVariance(rowDiff) / m + sampleVariance(colDiff) / n);
}

function sampleVariance(values: Float64Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
}

/** Fraction of each grid cell covered by the crop-pixel mask (1 = defect), through the sizing's letterbox. */
export function maskCoverage(mask: Uint8Array, box: Letterbox, gridH: number, gridW: number): Float32Array {
  const cover = new Float32Array(gridH * gridW);
  const area = new Float32Array(gridH * gridW);
  const cellW = box.inputWidth / gridW;
  const cellH = box.inputHeight / gridH;
  const colOf = Int32Array.from({ length: box.sourceWidth }, (_, x) =>
    Math.min(gridW - 1, Math.floor((box.offsetX + ((x + 0.5) * box.contentWidth) / box.sourceWidth) / cellW)),
  );
  for (let y = 0; y < box.sourceHeight; y++) {
    const row = Math.min(gridH - 1, Math.floor((box.offsetY + ((y + 0.5) * box.contentHeight) / box.sourceHeight) / cellH)) * gridW;
    for (let x = 0; x < box.sourceWidth; x++) {
      const cell = row + colOf[x];
      area[cell]++;
      if (mask[y * box.sourceWidth + x]) cover[cell]++;
    }
  }
  // -1: a padding cell outside the crop (letterbox), in neither class.
  for (let i = 0; i < cover.length; i++) cover[i] = area[i] > 0 ? cover[i] / area[i] : -1;
  return cover;
}
