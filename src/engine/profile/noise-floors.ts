// Noise floors learned from OK rows: per feature block, a multiple of the block's noise level, the norm of its
// flattest tenth of OK patches (flat and dark regions: sensor noise only). A block a few times weaker than its floor
// shrinks towards 0 instead of being blown up to unit length (feature-normalisation.ts).
import { percentileOfSorted } from '../percentile';

/** The patch-norm percentile taken as a block's noise level: the flattest tenth of the OK patches. */
export const NOISE_LEVEL_PERCENTILE = 10;

/** norms: per row, the norm of each block ([rows, blockCount] chunks, feature-normalisation.ts blockNorms). */
export function noiseFloorsOf(norms: readonly Float32Array[], blockCount: number, multiple: number): number[] {
  const count = norms.reduce((sum, n) => sum + n.length / blockCount, 0);
  return Array.from({ length: blockCount }, (_, b) => {
    const sorted = new Float32Array(count);
    let k = 0;
    for (const n of norms) for (let i = b; i < n.length; i += blockCount) sorted[k++] = n[i];
    return multiple * percentileOfSorted(sorted.sort(), NOISE_LEVEL_PERCENTILE);
  });
}
