// numpy.percentile with the default 'linear' method, including numpy's two-sided lerp (exact at t = 0 and 1).
import { InvalidArgumentError } from './engine-error';
import { loadNativeAddon } from './native-addon';

export function checkPercentile(p: number): void {
  if (!(p >= 0 && p <= 100)) throw new InvalidArgumentError('Percentiles must be in the range [0, 100]', { percentile: p });
}

/** `sorted` ascending, non-empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  checkPercentile(p);
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError('percentile of an empty array');
  const index = (p / 100) * (n - 1);
  const lo = Math.floor(index);
  const hi = Math.min(lo + 1, n - 1);
  const t = index - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

/**
 * Percentiles of an unsorted array without sorting it (O(n) per query instead of O(n log n) once): exactly the
 * values percentileOfSorted gives on the sorted array. Works on a private copy (unless told otherwise); the selection is the native
 * addon's std::nth_element (the (k+1)-th value is the minimum of the part right of k).
 */
export class PercentileSelector {
  private readonly work: Float32Array;

  /** `copy: false` hands `values` over as the working array (queries reorder it). */
  constructor(values: Float32Array, options: { copy?: boolean } = {}) {
    this.work = options.copy === false ? values : values.slice();
  }

  get length(): number {
    return this.work.length;
  }

  at(p: number): number {
    checkPercentile(p);
    const n = this.work.length;
    if (n === 0) throw new InvalidArgumentError('percentile of an empty array');
    const index = (p / 100) * (n - 1);
    const lo = Math.floor(index);
    const t = index - lo;
    const [a, b] = loadNativeAddon().selectKth(this.work, lo);
    if (t === 0 || lo + 1 >= n) return a;
    const diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }

  /** Mean of the largest ceil(fraction·n) values (at least one). */
  topMean(fraction: number): number {
    const n = this.work.length;
    if (n === 0) throw new InvalidArgumentError('mean of an empty array');
    if (!(fraction > 0 && fraction <= 1)) throw new InvalidArgumentError('Top fraction must be in (0, 1]', { fraction });
    const count = Math.min(n, Math.max(1, Math.ceil(fraction * n)));
    // After the selection, every value right of n - count is at least the (n - count)-th smallest.
    if (count < n) loadNativeAddon().selectKth(this.work, n - count);
    let sum = 0;
    for (let i = n - count; i < n; i++) sum += this.work[i];
    return sum / count;
  }
}
