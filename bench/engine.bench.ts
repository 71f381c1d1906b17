// Engine micro-benchmarks: coreset selection (pruned vs plain greedy) and batched kNN. Each returns a JSON-able
// object; medians of repeats. Data are clustered unit vectors in the 128-d selection space (what fit selects on).
import { buildFlatIndex } from '../src/engine/faiss-index';
import { nearestDistances } from '../src/engine/knn';
import { loadNativeAddon } from '../src/engine/native-addon';
import { createPrng } from '../src/engine/seeded-prng';

export interface CoresetBenchRow {
  n: number;
  m: number;
  prunedMs: number;
  prunedRadius: number;
  prunedDistanceEvaluations: number;
  /** Plain greedy is measured only up to `plainMaxN` (it is O(n·m·d)); beyond that it is estimated. */
  plainMs: number | null;
  plainRadius: number | null;
  plainMsEstimated: number | null;
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

export function benchCoreset(sizes = [10_000, 100_000, 400_000], rate = 0.1, repeats = 3, plainMaxN = 20_000, dim = 128): CoresetBenchRow[] {
  const native = loadNativeAddon();
  const rows: CoresetBenchRow[] = [];
  let plainPerEval: number | null = null;
  for (const n of sizes) {
    const x = clusteredUnitRows(n, dim, 64, n);
    const m = Math.max(1, Math.ceil(n * rate));
    const times: number[] = [];
    let pruned = native.kCenterGreedy(x, n, dim, m, 0, true);
    for (let r = 0; r < (n >= 100_000 ? 1 : repeats); r++) {
      const t = performance.now();
      pruned = native.kCenterGreedy(x, n, dim, m, 0, true);
      times.push(performance.now() - t);
    }
    const row: CoresetBenchRow = {
      n,
      m,
      prunedMs: median(times),
      prunedRadius: pruned.radius,
      prunedDistanceEvaluations: pruned.distanceEvaluations,
      plainMs: null,
      plainRadius: null,
      plainMsEstimated: null,
      speedup: null,
    };
    if (n <= plainMaxN) {
      const t = performance.now();
      const plain = native.kCenterGreedy(x, n, dim, m, 0, false);
      row.plainMs = performance.now() - t;
      row.plainRadius = plain.radius;
      plainPerEval = row.plainMs / plain.distanceEvaluations;
    }
    const plainMs = row.plainMs ?? (plainPerEval !== null ? plainPerEval * n * m : null);
    if (row.plainMs === null && plainMs !== null) row.plainMsEstimated = plainMs;
    row.speedup = plainMs !== null ? plainMs / row.prunedMs : null;
    rows.push(row);
  }
  return rows;
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
