// 1-NN distance of every query patch to the memory bank: one batched FAISS search per image.
import { FaissError } from './engine-error';
import type { FlatIndex } from './faiss-index';

/** queries: [n, dim] row-major → Euclidean distance to the nearest bank row, sqrt(max(d², 0)). */
export function nearestDistances(index: FlatIndex, queries: Float32Array, dim: number): Float32Array {
  if (index.getDimension() !== dim) {
    throw new FaissError(`Query dimension ${dim} does not match the index dimension ${index.getDimension()}`);
  }
  let result;
  try {
    result = index.search(queries, 1);
  } catch (err) {
    throw new FaissError(`FAISS search failed: ${(err as Error).message}`);
  }
  const out = new Float32Array(queries.length / dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(Math.max(result.distances[i], 0));
  return out;
}

/**
 * Distance of each query to the nearest bank row of another group (an image other than the query's own), among its
 * k nearest; the k-th distance when all k share the query's group. An out-of-sample estimate for rows whose own
 * image helped build the bank.
 */
export function nearestElsewhere(
  index: FlatIndex,
  queries: Float32Array,
  dim: number,
  queryGroup: Int32Array,
  bankGroup: Int32Array,
  k: number,
): Float32Array {
  const n = queries.length / dim;
  const kk = Math.min(k, index.ntotal());
  let result;
  try {
    result = index.search(queries, kk);
  } catch (err) {
    throw new FaissError(`FAISS search failed: ${(err as Error).message}`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let j = 0;
    while (j < kk - 1 && bankGroup[result.labels[i * kk + j]] === queryGroup[i]) j++;
    out[i] = Math.sqrt(Math.max(result.distances[i * kk + j], 0));
  }
  return out;
}
