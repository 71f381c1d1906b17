// Gaussian smoothing of the patch-distance grid, σ in patches, before the map is upsampled to the crop. One patch's
// distance is noisy; a defect that covers many patches (a ground band, a dent) raises all of them a little, and
// the smoothed grid adds that evidence up. Only the content cells are smoothed: letterbox padding stays out.
import { gaussianBlur } from './gaussian-blur';
import { contentCells } from './letterbox';
import type { Letterbox } from './types';

/** Returns `distances` itself when sigma is 0, else a smoothed copy ([gridH, gridW] row-major). */
export function smoothTokenGrid(distances: Float32Array, gridH: number, gridW: number, sigma: number, box: Letterbox): Float32Array {
  if (sigma <= 0) return distances;
  const { x0, x1, y0, y1 } = contentCells(box, gridH, gridW);
  const w = x1 - x0;
  const h = y1 - y0;
  const content = new Float32Array(w * h);
  for (let y = 0; y < h; y++) content.set(distances.subarray((y0 + y) * gridW + x0, (y0 + y) * gridW + x1), y * w);
  const smoothed = gaussianBlur(content, w, h, sigma);
  const out = distances.slice();
  for (let y = 0; y < h; y++) out.set(smoothed.subarray(y * w, (y + 1) * w), (y0 + y) * gridW + x0);
  return out;
}
