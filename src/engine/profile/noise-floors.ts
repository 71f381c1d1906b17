// Noise floors learned from OK rows: per feature block, a multiple of the block's noise level, the norm of its
// flattest tenth of OK patches (flat and dark regions: sensor noise only). A block a few times weaker than its floor
// shrinks towards 0 instead of being blown up to unit length (feature-normalisation.ts). Only the crop's own cells
// count: letterbox padding is black, and would pass for the flattest OK patches (floors of 0).
import { contentCells } from '../letterbox';
import { percentileOfSorted } from '../percentile';
import type { Letterbox } from '../types';
import { blockNorms } from './feature-normalisation';

/** The patch-norm percentile taken as a block's noise level: the flattest tenth of the OK patches. */
export const NOISE_LEVEL_PERCENTILE = 10;

/** Block norms ([cells, blocks.length]) of a crop's content cells; raw features [gridH·gridW, dim]. */
export function contentBlockNorms(features: Float32Array, gridH: number, gridW: number, blocks: readonly number[], box: Letterbox): Float32Array {
  const dim = features.length / (gridH * gridW);
  const { x0, x1, y0, y1 } = contentCells(box, gridH, gridW);
  if (x0 === 0 && y0 === 0 && x1 === gridW && y1 === gridH) return blockNorms(features, dim, blocks);
  const rows = new Float32Array((x1 - x0) * (y1 - y0) * dim);
  for (let y = y0; y < y1; y++) rows.set(features.subarray((y * gridW + x0) * dim, (y * gridW + x1) * dim), (y - y0) * (x1 - x0) * dim);
  return blockNorms(rows, dim, blocks);
}

/** norms: per row, the norm of each block ([rows, blockCount] chunks, contentBlockNorms). */
export function noiseFloorsOf(norms: readonly Float32Array[], blockCount: number, multiple: number): number[] {
  const count = norms.reduce((sum, n) => sum + n.length / blockCount, 0);
  return Array.from({ length: blockCount }, (_, b) => {
    const sorted = new Float32Array(count);
    let k = 0;
    for (const n of norms) for (let i = b; i < n.length; i += blockCount) sorted[k++] = n[i];
    return multiple * percentileOfSorted(sorted.sort(), NOISE_LEVEL_PERCENTILE);
  });
}
