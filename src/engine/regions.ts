// Defect regions of a thresholded anomaly map, as the original's findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)
// pipeline: outer borders of 8-connected blobs (traced with Suzuki–Abe's border following), polygon area through
// pixel centres, small blobs dropped, largest first.
import { loadNativeAddon } from './native-addon';
import type { Region } from './types';

export interface Contour {
  /** CHAIN_APPROX_SIMPLE vertices, starting at the blob's first pixel in raster order. */
  points: Array<[number, number]>;
}

function contoursOf(flat: { points: Int32Array; lengths: Int32Array }): Contour[] {
  const contours: Contour[] = [];
  let at = 0;
  for (const length of flat.lengths) {
    const points: Array<[number, number]> = [];
    for (let k = 0; k < length; k++, at += 2) points.push([flat.points[at], flat.points[at + 1]]);
    contours.push({ points });
  }
  return contours;
}

/**
 * External contours of `binary` (non-zero = foreground), in OpenCV's output order (last found first).
 * Blobs lying inside a hole of another blob are not external and are skipped, as with RETR_EXTERNAL.
 * Native (native/src/contours.cc): labelling and border following are the per-request loop over a blob's pixels.
 */
export function findExternalContours(binary: Uint8Array, width: number, height: number): Contour[] {
  return contoursOf(loadNativeAddon().externalContours(binary, width, height));
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
  const contours = contoursOf(loadNativeAddon().thresholdContours(heat, mask, width, height, options.threshold));
  const mm2PerPx = options.mmPerPx * options.mmPerPx;
  const minAreaPx = options.areaMm2Thr / mm2PerPx;
  const regions: Region[] = [];
  for (const contour of contours) {
    const area = contourArea(contour.points);
    if (area < minAreaPx) continue;
    regions.push({ bbox: boundingRect(contour.points), area_px: area, area_mm2: area * mm2PerPx, contour: contour.points });
  }
  // Array.prototype.sort is stable: ties keep OpenCV's order.
  return regions.sort((a, b) => b.area_px - a.area_px);
}
