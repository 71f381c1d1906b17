// Header-level image check of /infer (sharp reads only the header; BMP headers are read here).
import sharp from 'sharp';
import { ApiError } from '../common/errors/api-error';
import { isBmp } from '../engine/bmp';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Width and height from a PNG's IHDR (signature, length 13, "IHDR" at 12): a few bytes read in place, no copy
 * and no sharp pipeline on the main thread for the common upload; null when the bytes are not such a PNG (sharp
 * decides). The worker decodes the whole image anyway and reports a corrupt body as invalid_image.
 */
function pngSize(view: Buffer): { width: number; height: number } | null {
  if (view.length < 33 || !view.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (view.readUInt32BE(8) !== 13 || view.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = view.readUInt32BE(16);
  const height = view.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height } : null;
}

/**
 * Header-level check so an undecodable upload fails as the original did: before the model checks. An image whose
 * header announces more than `maxPixels` is refused here too, before any worker decodes it (image bombs).
 */
export async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<{ width: number; height: number }> {
  if (bytes.length === 0) throw new ApiError('invalid_image');
  let size: { width: number; height: number } | null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isBmp(bytes)) {
    size = bytes.length >= 26 ? { width: Math.abs(view.readInt32LE(18)), height: Math.abs(view.readInt32LE(22)) } : { width: 0, height: 0 };
  } else if ((size = pngSize(view)) === null) {
    try {
      const meta = await sharp(view).metadata();
      if (!meta.width || !meta.height) throw new Error('no size');
      // EXIF orientations 5–8 swap the axes once the engine has rotated the image upright.
      size = (meta.orientation ?? 1) >= 5 ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
    } catch {
      throw new ApiError('invalid_image');
    }
  }
  if (size.width * size.height > maxPixels) {
    throw new ApiError('image_too_large', `Image of ${size.width}x${size.height} pixels exceeds the limit of ${maxPixels}`, {
      width: size.width,
      height: size.height,
      max_pixels: maxPixels,
    });
  }
  return size;
}

