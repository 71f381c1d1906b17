// Range-free, order-preserving quantisation of float scores into 2^20 bins, so pixel metrics over
// ~100M pixels need fixed-size histograms instead of sorting every pixel.
//
// Precision: the key is the top 20 bits of an order-preserving transform of the IEEE-754 float32 bits,
// i.e. sign + 8 exponent bits + 11 mantissa bits. Two scores share a bin (and count as a tie) only when
// they agree to a relative difference below 2^-11 ≈ 0.05 %. No score range has to be known in advance.

export const SCORE_BIN_BITS = 20;
export const SCORE_BIN_COUNT = 1 << SCORE_BIN_BITS;
const DROPPED_BITS = 32 - SCORE_BIN_BITS;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Bin index in [0, SCORE_BIN_COUNT); a larger score never gets a smaller bin. NaN is a bug upstream. */
export function scoreBin(score: number): number {
  f32[0] = score;
  const bits = u32[0];
  // Negative floats order reversed by magnitude: flip all bits; positives: set the sign bit.
  const ordered = bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
  return ordered >>> DROPPED_BITS;
}

/** Smallest float32 that falls into the given bin (used to report thresholds and draw curves). */
export function binLowerBound(bin: number): number {
  const ordered = (bin << DROPPED_BITS) >>> 0;
  u32[0] = ordered & 0x80000000 ? (ordered & 0x7fffffff) >>> 0 : ~ordered >>> 0;
  return f32[0];
}
