// numpy.percentile with the default 'linear' method, including numpy's two-sided lerp (exact at t = 0 and 1).
import { InvalidArgumentError } from './engine-error';

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

/** k-th smallest (0-based) of `a`, reordering `a` in place (Wirth's selection with a median-of-three pivot). */
function selectInPlace(a: Float32Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (left < right) {
    const x = medianOfThree(a[left], a[(left + right) >> 1], a[right]);
    let i = left;
    let j = right;
    do {
      while (a[i] < x) i++;
      while (x < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) left = i;
    if (k < i) right = j;
  }
  return a[k];
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/**
 * Percentiles of an unsorted array without sorting it (O(n) per query instead of O(n log n) once): exactly the
 * values percentileOfSorted gives on the sorted array. Works on a private copy.
 */
export class PercentileSelector {
  private readonly work: Float32Array;

  constructor(values: Float32Array) {
    this.work = values.slice();
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
    const a = selectInPlace(this.work, lo);
    if (t === 0 || lo + 1 >= n) return a;
    // After selecting lo, everything to its right is >= a: the next order statistic is their minimum.
    let b = this.work[lo + 1];
    for (let i = lo + 2; i < n; i++) if (this.work[i] < b) b = this.work[i];
    const diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }
}
