// Streaming pixel-level metrics: pixel AUROC and AUPRO (MVTec AD definition), accumulated image by image
// into fixed-size score histograms (see score-bins.ts for the precision), so memory does not grow with
// the number of test pixels.
import { labelComponents } from './connected-components';
import { SCORE_BIN_COUNT, scoreBin } from './score-bins';
import { trapezoidArea } from './trapezoid';

export interface PixelMetrics {
  pixelAuroc: number;
  /** Area under the PRO curve for FPR ∈ [0, limit], divided by limit. */
  aupro: number;
  auproLimit: number;
  positivePixels: number;
  negativePixels: number;
  regions: number;
  /**
   * Pixel AUROC of each group's defect pixels (the defect type) against every good pixel of the test set: tells
   * which kind of defect the map localises and which one holds the pooled figure down.
   */
  perGroupAuroc: Record<string, number>;
  /** Share of all defect pixels per group. */
  perGroupShare: Record<string, number>;
  /** Pixel ROC, decimated for plotting. */
  roc: { fpr: number[]; tpr: number[] };
}

export class PixelMetricsAccumulator {
  // Per score bin: count of good pixels, count of defect pixels, and Σ 1/|region| over defect pixels
  // (a region's overlap at threshold t is the count of its pixels >= t divided by its size).
  private readonly negatives = new Float64Array(SCORE_BIN_COUNT);
  private readonly positives = new Float64Array(SCORE_BIN_COUNT);
  private readonly overlapWeight = new Float64Array(SCORE_BIN_COUNT);
  private readonly groupPositives = new Map<string, Float64Array>();
  private negativeTotal = 0;
  private positiveTotal = 0;
  private regionTotal = 0;

  /** map and mask: [height, width] row-major, same size; mask > 0 marks defect pixels. */
  add(map: Float32Array, mask: Uint8Array, width: number, height: number, group?: string): void {
    if (map.length !== width * height || mask.length !== width * height) {
      throw new Error(`map/mask size mismatch: ${map.length}, ${mask.length} vs ${width}x${height}`);
    }
    const { labels, sizes, count } = labelComponents(mask, width, height);
    let groupBins: Float64Array | undefined;
    if (group !== undefined && count > 0) {
      groupBins = this.groupPositives.get(group);
      if (!groupBins) this.groupPositives.set(group, (groupBins = new Float64Array(SCORE_BIN_COUNT)));
    }
    for (let p = 0; p < map.length; p++) {
      const bin = scoreBin(map[p]);
      const region = labels[p];
      if (region === 0) {
        this.negatives[bin]++;
      } else {
        this.positives[bin]++;
        if (groupBins) groupBins[bin]++;
        this.overlapWeight[bin] += 1 / sizes[region];
      }
    }
    const defectPixels = sizes.reduce((a, b) => a + b, 0);
    this.negativeTotal += map.length - defectPixels;
    this.positiveTotal += defectPixels;
    this.regionTotal += count;
  }

  /** null when no defect pixel or no good pixel was seen (the metrics are undefined). */
  result(auproLimit = 0.3, rocPoints = 512): PixelMetrics | null {
    if (this.positiveTotal === 0 || this.negativeTotal === 0) return null;
    const fprs = [0];
    const tprs = [0];
    const pros = [0];
    let fp = 0;
    let tp = 0;
    let overlap = 0;
    // Thresholds from the highest bin down: each occupied bin is one point of both curves.
    for (let bin = SCORE_BIN_COUNT - 1; bin >= 0; bin--) {
      const neg = this.negatives[bin];
      const pos = this.positives[bin];
      if (neg === 0 && pos === 0) continue;
      fp += neg;
      tp += pos;
      overlap += this.overlapWeight[bin];
      fprs.push(fp / this.negativeTotal);
      tprs.push(tp / this.positiveTotal);
      pros.push(Math.min(1, overlap / this.regionTotal));
    }
    fprs.push(1);
    pros.push(1);
    const perGroupAuroc: Record<string, number> = {};
    const perGroupShare: Record<string, number> = {};
    for (const [group, bins] of this.groupPositives) {
      const { auroc, total } = this.aurocAgainstNegatives(bins);
      perGroupAuroc[group] = auroc;
      perGroupShare[group] = total / this.positiveTotal;
    }
    return {
      pixelAuroc: this.aurocAgainstNegatives(this.positives).auroc,
      aupro: trapezoidArea(fprs, pros, auproLimit) / auproLimit,
      auproLimit,
      positivePixels: this.positiveTotal,
      negativePixels: this.negativeTotal,
      regions: this.regionTotal,
      perGroupAuroc,
      perGroupShare,
      roc: decimate(fprs.slice(0, -1), tprs, rocPoints),
    };
  }

  /** Mann–Whitney over the bins: defect pixels in a bin beat every good pixel below it and tie with those inside. */
  private aurocAgainstNegatives(positives: Float64Array): { auroc: number; total: number } {
    let below = this.negativeTotal;
    let wins = 0;
    let total = 0;
    for (let bin = SCORE_BIN_COUNT - 1; bin >= 0; bin--) {
      const neg = this.negatives[bin];
      below -= neg;
      if (positives[bin] === 0) continue;
      wins += positives[bin] * (below + 0.5 * neg);
      total += positives[bin];
    }
    return { auroc: wins / (total * this.negativeTotal), total };
  }
}

/** Keeps at most `points` curve points, evenly spaced along the index, always keeping both ends. */
function decimate(xs: number[], ys: number[], points: number): { fpr: number[]; tpr: number[] } {
  if (xs.length <= points) return { fpr: xs, tpr: ys };
  const fpr: number[] = [];
  const tpr: number[] = [];
  for (let k = 0; k < points; k++) {
    const i = Math.round((k * (xs.length - 1)) / (points - 1));
    fpr.push(xs[i]);
    tpr.push(ys[i]);
  }
  return { fpr, tpr };
}
