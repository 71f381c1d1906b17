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
