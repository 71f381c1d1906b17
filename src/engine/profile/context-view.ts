// The context view (DetectorProfile.contextView): the score view's normalised rows averaged over a wide window of
// patches, on a coarser grid, and the way its distances come back to the patch grid. Box means from a float64
// summed-area table (native/src/features.cc): O(cells · dim) for any window.
import { contentCells } from '../letterbox';
import { loadNativeAddon } from '../native-addon';
import type { Letterbox, PatchFeatures } from '../types';
import type { ContextView } from './detector-profile';
import { appendPosition, POSITION_CHANNELS } from './position-features';

/** The view's grid: one cell every `stride` patches from the first, the last one at most at the grid's edge. */
export function contextGrid(gridH: number, gridW: number, stride: number): { gridH: number; gridW: number } {
  return { gridH: Math.ceil(gridH / stride), gridW: Math.ceil(gridW / stride) };
}

/**
 * rows: normalised score-view rows [gridH·gridW, dim], no position channels. Each view cell is the mean of the rows
 * in the window centred on patch (cy·stride, cx·stride), both cut to the crop's own cells (letterbox padding is
 * neither centre nor part of any window); position channels for the view's grid are appended when asked.
 */
export function contextRows(rows: PatchFeatures, letterbox: Letterbox, view: Pick<ContextView, 'window' | 'stride'>, position: number | undefined): PatchFeatures {
  const { gridH, gridW, dim, features } = rows;
  const content = contentCells(letterbox, gridH, gridW);
  const grid = contextGrid(gridH, gridW, view.stride);
  const pooled = loadNativeAddon().contextMeans(features, gridH, gridW, dim, content.x0, content.x1, content.y0, content.y1, view.window, view.stride);
  if (!position) return { features: pooled, ...grid, dim };
  return { features: appendPosition(pooled, grid.gridH, grid.gridW, dim, position), ...grid, dim: dim + POSITION_CHANNELS };
}

/** The view's distances [contextGrid] bilinearly back to the patch grid [gridH·gridW]: patch (y, x) sits at
 *  (y / stride, x / stride) on the view's grid. */
export function upsampleContext(distances: Float32Array, gridH: number, gridW: number, stride: number): Float32Array {
  const grid = contextGrid(gridH, gridW, stride);
  const out = new Float32Array(gridH * gridW);
  for (let y = 0; y < gridH; y++) {
    const fy = Math.min(grid.gridH - 1, y / stride);
    const y0 = Math.floor(fy);
    const y1 = Math.min(grid.gridH - 1, y0 + 1);
    const ay = fy - y0;
    for (let x = 0; x < gridW; x++) {
      const fx = Math.min(grid.gridW - 1, x / stride);
      const x0 = Math.floor(fx);
      const x1 = Math.min(grid.gridW - 1, x0 + 1);
      const ax = fx - x0;
      const top = (1 - ax) * distances[y0 * grid.gridW + x0] + ax * distances[y0 * grid.gridW + x1];
      const bottom = (1 - ax) * distances[y1 * grid.gridW + x0] + ax * distances[y1 * grid.gridW + x1];
      out[y * gridW + x] = (1 - ay) * top + ay * bottom;
    }
  }
  return out;
}
