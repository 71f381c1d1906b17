// Block-wise soft normalisation of patch features (see FeatureNormalisation). Runs on [rows, dim] after the
// backbone: a few hundred rows of tens to a thousand channels, one pass (native/src/features.cc).
import { loadNativeAddon } from '../native-addon';
import type { FeatureNormalisation } from './detector-profile';

/** rows: [n, dim] row-major, blocks: channel count of each block (sums to dim). In place; returns rows. */
export function normaliseFeatures(rows: Float32Array, dim: number, blocks: readonly number[], norm: FeatureNormalisation): Float32Array {
  loadNativeAddon().normaliseRows(rows, dim, Int32Array.from(blocks), Float64Array.from(norm.floors), Float64Array.from(norm.weights), norm.unitNorm);
  return rows;
}

/** Norm of each block of each row: [n, blocks.length] (the tuner learns noise floors from their quantiles). */
export function blockNorms(rows: Float32Array, dim: number, blocks: readonly number[]): Float32Array {
  const n = rows.length / dim;
  const out = new Float32Array(n * blocks.length);
  for (let i = 0; i < n; i++) {
    let start = i * dim;
    for (let b = 0; b < blocks.length; b++) {
      let sum = 0;
      for (let j = start; j < start + blocks[b]; j++) sum += rows[j] * rows[j];
      out[i * blocks.length + b] = Math.sqrt(sum);
      start += blocks[b];
    }
  }
  return out;
}
