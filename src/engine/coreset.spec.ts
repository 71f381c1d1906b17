import { coresetSize, gatherRows, selectCoreset } from './coreset';
import { InvalidArgumentError } from './engine-error';
import { loadNativeAddon } from './native-addon';
import { createPrng } from './seeded-prng';

/** Clustered unit vectors [n, d], like normalised patch features of similar images. */
function clustered(n: number, d: number, clusters: number, seed: number): Float32Array {
  const rng = createPrng(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.normal()));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(clusters)];
    let norm = 0;
    for (let j = 0; j < d; j++) {
      x[i * d + j] = c[j] + 0.6 * rng.normal();
      norm += x[i * d + j] ** 2;
    }
    for (let j = 0; j < d; j++) x[i * d + j] /= Math.sqrt(norm);
  }
  return x;
}

function dist(x: Float32Array, d: number, a: number, b: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += (x[a * d + j] - x[b * d + j]) ** 2;
  return Math.sqrt(s);
}

/** Textbook greedy k-center in the full space (the reference algorithm of the original). */
function exactGreedy(x: Float32Array, n: number, d: number, m: number, start: number): number[] {
  const dmin = Array.from({ length: n }, (_, i) => dist(x, d, i, start));
  const chosen = [start];
  while (chosen.length < m) {
    let best = 0;
    for (let i = 1; i < n; i++) if (dmin[i] > dmin[best]) best = i;
    chosen.push(best);
    for (let i = 0; i < n; i++) dmin[i] = Math.min(dmin[i], dist(x, d, i, best));
  }
  return chosen;
}

function coveringRadius(x: Float32Array, n: number, d: number, centres: ArrayLike<number>): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let c = 0; c < centres.length; c++) best = Math.min(best, dist(x, d, i, centres[c]));
    r = Math.max(r, best);
  }
  return r;
}

describe('coreset selection', () => {
  it('sizes the coreset as max(1, ceil(n·rate))', () => {
    expect(coresetSize(1000, 0.1)).toBe(100);
    expect(coresetSize(1001, 0.1)).toBe(101);
    expect(coresetSize(5, 0.01)).toBe(1);
    expect(() => coresetSize(5, 0)).toThrow(InvalidArgumentError);
    expect(() => coresetSize(5, 1.5)).toThrow(InvalidArgumentError);
  });

  it('keeps every row in order at rate 1', () => {
    const sel = selectCoreset(clustered(50, 8, 3, 1), 50, 8, { rate: 1, seed: 0 });
    expect(Array.from(sel.indices)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([sel.requestedRate, sel.appliedRate]).toEqual([1, 1]);
  });

  it('matches an exact JS greedy when no projection is needed', () => {
    const n = 400;
    const d = 16;
    const x = clustered(n, d, 5, 3);
    const native = loadNativeAddon().kCenterGreedy(x, n, d, 40, 5);
    expect(Array.from(native.indices)).toEqual(exactGreedy(x, n, d, 40, 5));
  });

  it('covers the full-dimension data within 10% of the exact greedy radius when selecting on a projection', () => {
    const n = 1000;
    const d = 256;
    const x = clustered(n, d, 30, 4);
    const sel = selectCoreset(x, n, d, { rate: 0.1, seed: 0, projectionDim: 128 });
    expect(sel.indices.length).toBe(100);
    expect(sel.appliedRate).toBeCloseTo(0.1, 12);
    const exact = coveringRadius(x, n, d, exactGreedy(x, n, d, 100, sel.indices[0]));
    const approx = coveringRadius(x, n, d, sel.indices);
    expect(approx).toBeLessThanOrEqual(exact * 1.1);
  });

  it('is deterministic for a seed and starts elsewhere for another seed', () => {
    const x = clustered(500, 200, 8, 5);
    const a = selectCoreset(x, 500, 200, { rate: 0.05, seed: 7 });
    const b = selectCoreset(x, 500, 200, { rate: 0.05, seed: 7 });
    const c = selectCoreset(x, 500, 200, { rate: 0.05, seed: 8 });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.indices)).not.toEqual(Array.from(c.indices));
    expect(new Set(a.indices).size).toBe(25);
  });

  it('gathers selected rows in selection order', () => {
    const x = Float32Array.from([0, 0, 1, 1, 2, 2]);
    expect(Array.from(gatherRows(x, 2, Int32Array.from([2, 0])))).toEqual([2, 2, 0, 0]);
  });
});
