// Small generated images for detector tests: exact geometry, no files on disk.
import sharp from 'sharp';
import type { RgbImage } from '../types';

export interface FilledRect {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Grey level 0..255 (or an RGB triple). */
  value: number | [number, number, number];
}

export function rgbImage(width: number, height: number, background: number, rects: FilledRect[] = []): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(background);
  for (const r of rects) {
    const rgb = typeof r.value === 'number' ? [r.value, r.value, r.value] : r.value;
    for (let y = r.y; y < r.y + r.height; y++) {
      for (let x = r.x; x < r.x + r.width; x++) data.set(rgb, (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

export async function pngBytes(image: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

export async function pngDataUrl(image: RgbImage): Promise<string> {
  return `data:image/png;base64,${(await pngBytes(image)).toString('base64')}`;
}
