// Maps a token-grid map back onto the crop through the letterbox. Only the content part of the grid covers the
// crop (the original stretched the padded grid over non-square crops); sampling is cv2 INTER_LINEAR
// (half-pixel centres, edge clamp), so for a crop that fills the input it equals cv2.resize(grid, (W, H)).
import type { Letterbox } from './types';

export interface Taps {
  index: Int32Array;
  weight: Float64Array;
}

// One axis: for each crop pixel, the lower grid index and the weight of the upper one.
function axisTaps(sourceSize: number, contentSize: number, offset: number, inputSize: number, gridSize: number): Taps {
  const index = new Int32Array(sourceSize);
  const weight = new Float64Array(sourceSize);
  for (let x = 0; x < sourceSize; x++) {
    const inputPos = offset + ((x + 0.5) * contentSize) / sourceSize;
    const g = (inputPos * gridSize) / inputSize - 0.5;
    let i = Math.floor(g);
    let f = g - i;
    if (i < 0) {
      i = 0;
      f = 0;
    }
    if (i >= gridSize - 1) {
      i = gridSize - 1;
      f = 0;
    }
    index[x] = i;
    weight[x] = f;
  }
  return { index, weight };
}

/** Sampling taps of both axes (crop columns `xs`, crop rows `ys`) for a [gridH, gridW] grid under `box`. */
export function cropTaps(gridH: number, gridW: number, box: Letterbox): { xs: Taps; ys: Taps } {
  return {
    xs: axisTaps(box.sourceWidth, box.contentWidth, box.offsetX, box.inputWidth, gridW),
    ys: axisTaps(box.sourceHeight, box.contentHeight, box.offsetY, box.inputHeight, gridH),
  };
}

/**
 * grid: [gridH, gridW] row-major → [sourceHeight, sourceWidth] row-major. The reference of the native
 * upsampleBlur's first step (anomaly-map.ts runs the native one).
 */
export function tokenGridToCrop(grid: Float32Array, gridH: number, gridW: number, box: Letterbox): Float32Array {
  const W = box.sourceWidth;
  const H = box.sourceHeight;
  const { xs, ys } = cropTaps(gridH, gridW, box);
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const r0 = ys.index[y] * gridW;
    const r1 = Math.min(ys.index[y] + 1, gridH - 1) * gridW;
    const fy = ys.weight[y];
    for (let x = 0; x < W; x++) {
      const c0 = xs.index[x];
      const c1 = Math.min(c0 + 1, gridW - 1);
      const fx = xs.weight[x];
      const top = grid[r0 + c0] * (1 - fx) + grid[r0 + c1] * fx;
      const bottom = grid[r1 + c0] * (1 - fx) + grid[r1 + c1] * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
