// Ground-truth masks in the anomaly map's pixel grid.
import sharp from 'sharp';

/** Decodes a mask (> 0 = defect) and brings it to width×height with nearest-neighbour, so labels stay binary. */
export async function readMask(path: string | null, width: number, height: number): Promise<Uint8Array> {
  if (path === null) return new Uint8Array(width * height);
  const { data, info } = await sharp(path)
    .greyscale()
    .resize(width, height, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 1) {
    throw new Error(`mask ${path} decoded as ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
