// Defect regions of a thresholded anomaly map, as the original's findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)
// pipeline: outer borders of 8-connected blobs (traced with Suzuki–Abe's border following), polygon area through
// pixel centres, small blobs dropped, largest first.
import type { Region } from './types';

// OpenCV chain codes: 0=E, 1=NE, 2=N, 3=NW, 4=W, 5=SW, 6=S, 7=SE (counter-clockwise on screen).
const DX = [1, 1, 0, -1, -1, -1, 0, 1];
const DY = [0, -1, -1, -1, 0, 1, 1, 1];

export interface Contour {
  /** CHAIN_APPROX_SIMPLE vertices, starting at the blob's first pixel in raster order. */
  points: Array<[number, number]>;
}

/** Outer border of the blob whose first raster pixel is (x0, y0); `on(x, y)` tells foreground (false outside). */
function traceOuterBorder(x0: number, y0: number, on: (x: number, y: number) => boolean): Array<[number, number]> {
  // Step 1: clockwise from the west neighbour (background by construction) to the first foreground neighbour.
  let s = 4;
  let found = -1;
  for (let k = 0; k < 8; k++) {
    s = (s + 7) & 7;
    if (s === 4) break;
    if (on(x0 + DX[s], y0 + DY[s])) {
      found = s;
      break;
    }
  }
  if (found < 0) return [[x0, y0]];
  const x1 = x0 + DX[found];
  const y1 = y0 + DY[found];
  const points: Array<[number, number]> = [];
  let prevS = found ^ 4;
  let x3 = x0;
  let y3 = y0;
  s = found;
  for (;;) {
    // Counter-clockwise from the direction after the one we came from.
    let x4 = x3;
    let y4 = y3;
    for (let k = 1; k <= 8; k++) {
      const t = (s + k) & 7;
      if (on(x3 + DX[t], y3 + DY[t])) {
        s = t;
        x4 = x3 + DX[t];
        y4 = y3 + DY[t];
        break;
      }
    }
    if (s !== prevS) {
      points.push([x3, y3]);
      prevS = s;
    }
    if (x4 === x0 && y4 === y0 && x3 === x1 && y3 === y1) break;
    x3 = x4;
    y3 = y4;
    s = (s + 4) & 7;
  }
  return points;
}

/**
 * External contours of `binary` (non-zero = foreground), in OpenCV's output order (last found first).
 * Blobs lying inside a hole of another blob are not external and are skipped, as with RETR_EXTERNAL.
 */
export function findExternalContours(binary: Uint8Array, width: number, height: number): Contour[] {
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && binary[y * width + x] !== 0;
  // Background reachable from outside the image through 4-connected steps: the outer background.
  const outside = new Uint8Array(width * height);
  const stack: number[] = [];
  const pushBg = (x: number, y: number): void => {
    const i = y * width + x;
    if (binary[i] === 0 && outside[i] === 0) {
      outside[i] = 1;
      stack.push(i);
    }
  };
  for (let x = 0; x < width; x++) {
    pushBg(x, 0);
    pushBg(x, height - 1);
  }
  for (let y = 0; y < height; y++) {
    pushBg(0, y);
    pushBg(width - 1, y);
  }
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const x = i % width;
    const y = (i - x) / width;
    if (x > 0) pushBg(x - 1, y);
    if (x < width - 1) pushBg(x + 1, y);
    if (y > 0) pushBg(x, y - 1);
    if (y < height - 1) pushBg(x, y + 1);
  }
  // 8-connected labelling; a blob is external when the pixel west of its first raster pixel is outer background.
  const label = new Int32Array(width * height);
  const found: Contour[] = [];
  let next = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (binary[i] === 0 || label[i] !== 0) continue;
      next++;
      label[i] = next;
      stack.push(i);
      while (stack.length > 0) {
        const j = stack.pop() as number;
        const jx = j % width;
        const jy = (j - jx) / width;
        for (let d = 0; d < 8; d++) {
          const nx = jx + DX[d];
          const ny = jy + DY[d];
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const k = ny * width + nx;
          if (binary[k] !== 0 && label[k] === 0) {
            label[k] = next;
            stack.push(k);
          }
        }
      }
      const external = x === 0 || outside[i - 1] === 1;
      if (external) found.push({ points: traceOuterBorder(x, y, on) });
    }
  }
  return found.reverse();
}

/** cv2.contourArea: shoelace over the vertices (pixel centres), absolute value. */
export function contourArea(points: ReadonlyArray<[number, number]>): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i];
    const [x1, y1] = points[(i + 1) % points.length];
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/** cv2.boundingRect of points: [x, y, w, h] inclusive of the extreme pixels. */
export function boundingRect(points: ReadonlyArray<[number, number]>): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX - minX + 1, maxY - minY + 1];
}

export interface RegionOptions {
  threshold: number;
  areaMm2Thr: number;
  mmPerPx: number;
}

/**
 * heat, mask: [height, width]. binary = mask & heat >= threshold; blobs whose contour area is below
 * area_mm2_thr / mm_per_px² are dropped (erasing a blob erases what lies in its holes, so survivors are unchanged).
 */
export function findRegions(heat: Float32Array, mask: Uint8Array, width: number, height: number, options: RegionOptions): Region[] {
  // Work on the foreground's bounding box plus a one-pixel background margin: everything outside it is outer
  // background, so contours and their order are the same, and a small defect costs a small box, not the crop.
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width; x < width; x++, i++) {
      if (mask[i] > 0 && heat[i] >= options.threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return [];
  x0 = Math.max(0, x0 - 1);
  y0 = Math.max(0, y0 - 1);
  x1 = Math.min(width - 1, x1 + 1);
  y1 = Math.min(height - 1, y1 + 1);
  const boxWidth = x1 - x0 + 1;
  const boxHeight = y1 - y0 + 1;
  const binary = new Uint8Array(boxWidth * boxHeight);
  for (let y = 0; y < boxHeight; y++) {
    for (let x = 0; x < boxWidth; x++) {
      const i = (y + y0) * width + x + x0;
      if (mask[i] > 0 && heat[i] >= options.threshold) binary[y * boxWidth + x] = 255;
    }
  }
  const mm2PerPx = options.mmPerPx * options.mmPerPx;
  const minAreaPx = options.areaMm2Thr / mm2PerPx;
  const regions: Region[] = [];
  for (const boxed of findExternalContours(binary, boxWidth, boxHeight)) {
    const contour = { points: boxed.points.map(([x, y]): [number, number] => [x + x0, y + y0]) };
    const area = contourArea(contour.points);
    if (area < minAreaPx) continue;
    regions.push({ bbox: boundingRect(contour.points), area_px: area, area_mm2: area * mm2PerPx, contour: contour.points });
  }
  // Array.prototype.sort is stable: ties keep OpenCV's order.
  return regions.sort((a, b) => b.area_px - a.area_px);
}
