// Header-level image check of /infer (sharp reads only the header; BMP headers are read here).
import sharp from 'sharp';
import { ApiError } from '../common/errors/api-error';
import { isBmp } from '../engine/bmp';
import { pngHeader } from '../engine/png-header';

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
  } else {
    const png = pngHeader(bytes);
    size = png && { width: png.width, height: png.height };
  }
  if (size === null) {
    // Not a PNG: sharp reads the header (a PNG's size is read in place, no sharp pipeline on the main thread).
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

