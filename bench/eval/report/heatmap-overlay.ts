// Heatmap-over-image thumbnails for the report, embedded as PNG data URLs.
import sharp from 'sharp';

export interface OverlayInput {
  imagePath: string;
  /** Anomaly map [height, width] row-major, in the image's pixel grid. */
  map: Float32Array;
  width: number;
  height: number;
  /** Map values mapped to the colour scale: lo → transparent, hi → full heat. Shared across the report. */
  lo: number;
  hi: number;
  /** Ground-truth mask in the same grid (> 0 = defect); its outline is drawn in green. */
  mask: Uint8Array | null;
  /** Longest side of the thumbnail. */
  maxSide: number;
}

/** Colour of t ∈ [0, 1] on a compact blue→yellow→red ramp. */
function heatColour(t: number): [number, number, number] {
  const r = Math.min(1, 2 * t);
  const g = t < 0.5 ? 2 * t : 2 - 2 * t;
  const b = Math.max(0, 1 - 2 * t);
  return [r * 255, g * 255, b * 255];
}

function isOutline(mask: Uint8Array, width: number, height: number, p: number): boolean {
  if (mask[p] === 0) return false;
  const x = p % width;
  const y = (p - x) / width;
  return x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[p - 1] || !mask[p + 1] || !mask[p - width] || !mask[p + width];
}

export async function overlayDataUrl(input: OverlayInput): Promise<string> {
  const { map, width, height, lo, hi, mask } = input;
  const base = await sharp(input.imagePath)
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = base.info.channels;
  const out = Buffer.alloc(width * height * 3);
  const span = hi - lo || 1;
  for (let p = 0; p < width * height; p++) {
    const t = Math.min(1, Math.max(0, (map[p] - lo) / span));
    const alpha = 0.6 * t;
    const [hr, hg, hb] = heatColour(t);
    for (let c = 0; c < 3; c++) {
      const pixel = base.data[p * channels + Math.min(c, channels - 1)];
      out[p * 3 + c] = Math.round(pixel * (1 - alpha) + [hr, hg, hb][c] * alpha);
    }
    if (mask && isOutline(mask, width, height, p)) out.set([0, 255, 0], p * 3);
  }
  const png = await sharp(out, { raw: { width, height, channels: 3 } })
    .resize(input.maxSide, input.maxSide, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
