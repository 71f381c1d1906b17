// Engine micro-benchmarks: coreset selection (pruned vs plain greedy) and batched kNN. Each returns a JSON-able
// object; medians of repeats. Data are clustered unit vectors in the 128-d selection space (what fit selects on).
import { DEFAULT_PROJECTION_DIM, gatherRows, selectCoreset } from '../src/engine/coreset';
import { buildFlatIndex } from '../src/engine/faiss-index';
import { nearestDistances } from '../src/engine/knn';
import { loadNativeAddon } from '../src/engine/native-addon';
import { createPrng } from '../src/engine/seeded-prng';

export interface CoresetBenchRow {
  n: number;
  m: number;
  dim: number;
  projectionDim: number;
  /** Projection + streaming greedy, as a fit runs it. */
  selectMs: number;
  /** Full-space covering radius of the selection (small n only). */
  selectRadius: number | null;
  /** Reference plain greedy on the full-dimension rows: measured up to `referenceMaxN`, estimated beyond. */
  referenceMs: number | null;
  referenceRadius: number | null;
  referenceMsEstimated: number | null;
  speedup: number | null;
}

export interface KnnBenchRow {
  bankRows: number;
  dim: number;
  queries: number;
  medianMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function clusteredUnitRows(n: number, d: number, clusters: number, seed: number, spread = 0.35): Float32Array {
  const rng = createPrng(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: d }, () => rng.normal()));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(clusters)];
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = c[j] + spread * rng.normal();
      x[i * d + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < d; j++) x[i * d + j] *= inv;
  }
  return x;
}

/**
 * Coreset selection as the fit runs it (seeded projection to DEFAULT_PROJECTION_DIM, streaming greedy) against the
 * reference algorithm (plain greedy on the full-dimension rows, same native loop) on the same data. The reference
 * runs in full up to `referenceMaxN` rows and is extrapolated per distance evaluation above. Covering radii are in
 * the full space, where both are measured against the same rows (up to `referenceMaxN`).
 */
export function benchCoreset(sizes = [10_000, 100_000, 400_000], rate = 0.1, repeats = 3, referenceMaxN = 20_000, dim = 384): CoresetBenchRow[] {
  const native = loadNativeAddon();
  const rows: CoresetBenchRow[] = [];
  let referencePerEval: number | null = null;
  for (const n of sizes) {
    const x = clusteredUnitRows(n, dim, 64, n);
    const m = Math.max(1, Math.ceil(n * rate));
    const times: number[] = [];
    let selection = selectCoreset(x, n, dim, { rate, seed: 0 });
    for (let r = 0; r < (n >= 100_000 ? 1 : repeats); r++) {
      const t = performance.now();
      selection = selectCoreset(x, n, dim, { rate, seed: 0 });
      times.push(performance.now() - t);
    }
    const row: CoresetBenchRow = {
      n,
      m,
      dim,
      projectionDim: DEFAULT_PROJECTION_DIM,
      selectMs: median(times),
      selectRadius: n <= referenceMaxN ? fullSpaceRadius(x, n, dim, selection.indices) : null,
      referenceMs: null,
      referenceRadius: null,
      referenceMsEstimated: null,
      speedup: null,
    };
    if (n <= referenceMaxN) {
      const t = performance.now();
      const reference = native.kCenterGreedy(x, n, dim, m, selection.indices[0]);
      row.referenceMs = performance.now() - t;
      row.referenceRadius = reference.radius;
      referencePerEval = row.referenceMs / reference.distanceEvaluations;
    }
    const referenceMs = row.referenceMs ?? (referencePerEval !== null ? referencePerEval * n * m : null);
    if (row.referenceMs === null && referenceMs !== null) row.referenceMsEstimated = referenceMs;
    row.speedup = referenceMs !== null ? referenceMs / row.selectMs : null;
    rows.push(row);
  }
  return rows;
}

/** Largest distance from a row to its nearest selected row, in the full space (FAISS). */
function fullSpaceRadius(x: Float32Array, n: number, dim: number, indices: Int32Array): number {
  const index = buildFlatIndex(gatherRows(x, dim, indices), dim);
  let radius = 0;
  for (const d of nearestDistances(index, x, dim)) radius = Math.max(radius, d);
  return radius;
}

export function benchKnn(bankSizes = [10_000, 40_000, 100_000], dim = 1152, queries = 1024, repeats = 5): KnnBenchRow[] {
  loadNativeAddon().setThreads(1);
  const q = clusteredUnitRows(queries, dim, 16, 1);
  return bankSizes.map((bankRows) => {
    const index = buildFlatIndex(clusteredUnitRows(bankRows, dim, 64, bankRows), dim);
    nearestDistances(index, q, dim); // warm-up
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      nearestDistances(index, q, dim);
      times.push(performance.now() - t);
    }
    return { bankRows, dim, queries, medianMs: median(times) };
  });
}

export function runEngineBench(options: { quick?: boolean } = {}): { coreset: CoresetBenchRow[]; knn: KnnBenchRow[] } {
  return options.quick
    ? { coreset: benchCoreset([5_000, 20_000], 0.1, 3), knn: benchKnn([5_000, 20_000], 1152, 1024, 3) }
    : { coreset: benchCoreset(), knn: benchKnn() };
}

if (require.main === module) {
  console.log(JSON.stringify(runEngineBench({ quick: process.argv.includes('--quick') }), null, 2));
}
