// The context view (DetectorProfile.contextView): the score view's normalised rows averaged over a wide window of
// patches, on a coarser grid, and the way its distances come back to the patch grid. Box means from a summed-area
// table: O(cells · dim) for any window.
import { contentCells } from '../letterbox';
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
  // Summed-area table in float64, [(gridH + 1) · (gridW + 1), dim].
  const stride1 = gridW + 1;
  const table = new Float64Array((gridH + 1) * stride1 * dim);
  for (let y = 0; y < gridH; y++) {
    for (let x = 0; x < gridW; x++) {
      const inside = y >= content.y0 && y < content.y1 && x >= content.x0 && x < content.x1;
      const out = ((y + 1) * stride1 + x + 1) * dim;
      const up = (y * stride1 + x + 1) * dim;
      const left = ((y + 1) * stride1 + x) * dim;
      const diagonal = (y * stride1 + x) * dim;
      const src = (y * gridW + x) * dim;
      for (let j = 0; j < dim; j++) table[out + j] = (inside ? features[src + j] : 0) + table[up + j] + table[left + j] - table[diagonal + j];
    }
  }
  const grid = contextGrid(gridH, gridW, view.stride);
  const half = view.window >> 1;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const pooled = new Float32Array(grid.gridH * grid.gridW * dim);
  for (let cy = 0; cy < grid.gridH; cy++) {
    const y = clamp(cy * view.stride, content.y0, content.y1 - 1);
    const y0 = Math.max(content.y0, y - half);
    const y1 = Math.min(content.y1, y + half + 1);
    for (let cx = 0; cx < grid.gridW; cx++) {
      const x = clamp(cx * view.stride, content.x0, content.x1 - 1);
      const x0 = Math.max(content.x0, x - half);
      const x1 = Math.min(content.x1, x + half + 1);
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      const a = (y1 * stride1 + x1) * dim;
      const b = (y0 * stride1 + x1) * dim;
      const c = (y1 * stride1 + x0) * dim;
      const d = (y0 * stride1 + x0) * dim;
      const out = (cy * grid.gridW + cx) * dim;
      for (let j = 0; j < dim; j++) pooled[out + j] = (table[a + j] - table[b + j] - table[c + j] + table[d + j]) * inv;
    }
  }
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
