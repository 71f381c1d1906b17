import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { ImageDecodeError } from './engine-error';
import { decodeImage } from './image';
import { pngChunk as chunk } from './testing/png-chunk';

/** Minimal PNG writer so tests control bit depth and colour type exactly. */
function png(width: number, height: number, bitDepth: 8 | 16, colourType: 0 | 2 | 3 | 6, rows: Uint8Array[], palette?: number[]): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), Buffer.from(r)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(palette ? [chunk('PLTE', Uint8Array.from(palette))] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function bmp24(width: number, height: number, rgbTopDown: number[]): Uint8Array {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22); // bottom-up
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgbTopDown.slice((y * width + x) * 3, (y * width + x) * 3 + 3);
      buf[row + x * 3] = b;
      buf[row + x * 3 + 1] = g;
      buf[row + x * 3 + 2] = r;
    }
  }
  return buf;
}

function bmpPalette8(width: number, height: number, indicesTopDown: number[], palette: Array<[number, number, number]>): Uint8Array {
  const stride = Math.ceil(width / 4) * 4;
  const offset = 54 + palette.length * 4;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(-height, 22); // top-down
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(8, 28);
  buf.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => {
    buf[54 + i * 4] = b;
    buf[54 + i * 4 + 1] = g;
    buf[54 + i * 4 + 2] = r;
  });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) buf[offset + y * stride + x] = indicesTopDown[y * width + x];
  return buf;
}

describe('decodeImage', () => {
  it('drops alpha without compositing (RGBA 100,50,25,0 stays 100,50,25)', async () => {
    const img = await decodeImage(png(2, 1, 8, 6, [Uint8Array.from([100, 50, 25, 0, 1, 2, 3, 128])]));
    expect(Array.from(img.data)).toEqual([100, 50, 25, 1, 2, 3]);
  });

  it('replicates grey into three channels', async () => {
    const img = await decodeImage(png(2, 1, 8, 0, [Uint8Array.from([7, 200])]));
    expect(Array.from(img.data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('keeps the high byte of 16-bit samples', async () => {
    // 0x12FF >> 8 = 0x12 (a rounding rescale would give 0x13)
    const row = Uint8Array.from([0x12, 0xff, 0xab, 0xcd, 0x00, 0xff]);
    const img = await decodeImage(png(1, 1, 16, 2, [row]));
    expect(Array.from(img.data)).toEqual([0x12, 0xab, 0x00]);
  });

  it('expands palette PNGs to RGB', async () => {
    const img = await decodeImage(png(2, 1, 8, 3, [Uint8Array.from([1, 0])], [10, 20, 30, 40, 50, 60]));
    expect(Array.from(img.data)).toEqual([40, 50, 60, 10, 20, 30]);
  });

  it('decodes 24-bit bottom-up BMP', async () => {
    const img = await decodeImage(bmp24(3, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]));
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  });

  it('decodes 8-bit palette top-down BMP', async () => {
    const img = await decodeImage(bmpPalette8(2, 2, [0, 1, 1, 0], [[255, 0, 0], [0, 0, 255]]));
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0]);
  });

  it('decodes 32-bit BMP ignoring alpha', async () => {
    const buf = Buffer.alloc(54 + 4);
    buf.write('BM', 0, 'latin1');
    buf.writeUInt32LE(54, 10);
    buf.writeUInt32LE(40, 14);
    buf.writeInt32LE(1, 18);
    buf.writeInt32LE(1, 22);
    buf.writeUInt16LE(32, 28);
    buf.set([30, 20, 10, 0], 54); // B G R A
    expect(Array.from((await decodeImage(buf)).data)).toEqual([10, 20, 30]);
  });

  it('applies EXIF orientation', async () => {
    const raw = Buffer.from([255, 0, 0, 0, 0, 255]); // 2x1: red, blue
    const jpeg = await sharp(raw, { raw: { width: 2, height: 1, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([1, 2]);
  });

  it('decodes TIFF and lossless WebP', async () => {
    const raw = Buffer.from([9, 8, 7, 6, 5, 4]);
    for (const encoded of [
      await sharp(raw, { raw: { width: 2, height: 1, channels: 3 } }).tiff({ compression: 'lzw' }).toBuffer(),
      await sharp(raw, { raw: { width: 2, height: 1, channels: 3 } }).webp({ lossless: true }).toBuffer(),
    ]) {
      expect(Array.from((await decodeImage(encoded)).data)).toEqual([9, 8, 7, 6, 5, 4]);
    }
  });

  it('rejects garbage with invalid_image', async () => {
    await expect(decodeImage(Buffer.from('not an image'))).rejects.toMatchObject({ name: 'ImageDecodeError', code: 'invalid_image' });
    await expect(decodeImage(new Uint8Array(0))).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeImage(Buffer.from('BM\0\0'))).rejects.toMatchObject({ code: 'invalid_image' });
  });

  it('rejects images above the pixel limit with image_too_large', async () => {
    const encoded = png(4, 4, 8, 0, Array.from({ length: 4 }, () => new Uint8Array(4)));
    await expect(decodeImage(encoded, { limitInputPixels: 15 })).rejects.toMatchObject({ code: 'image_too_large' });
    await expect(decodeImage(bmp24(4, 4, new Array(48).fill(0)), { limitInputPixels: 15 })).rejects.toMatchObject({ code: 'image_too_large' });
    expect((await decodeImage(encoded, { limitInputPixels: 16 })).width).toBe(4);
  });
});
