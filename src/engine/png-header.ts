// A PNG's IHDR (signature, chunk length 13, "IHDR", then width, height, bit depth): read in place, so the common
// upload needs no separate sharp metadata pass, neither on the main thread (header probe) nor in the worker (decode).

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  bitDepth: number;
}

/** The header of a PNG, or null when the bytes do not start like one (another format: sharp decides). */
export function pngHeader(bytes: Uint8Array): PngHeader | null {
  if (bytes.length < 33) return null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!view.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (view.readUInt32BE(8) !== 13 || view.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = view.readUInt32BE(16);
  const height = view.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height, bitDepth: view[24] } : null;
}
