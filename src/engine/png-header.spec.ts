import sharp from 'sharp';
import { pngHeader } from './png-header';

describe('pngHeader', () => {
  it('reads width, height and bit depth of an 8-bit and a 16-bit PNG', async () => {
    const rgb8 = await sharp({ create: { width: 5, height: 3, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    expect(pngHeader(rgb8)).toEqual({ width: 5, height: 3, bitDepth: 8 });
    const rgb16 = await sharp({ create: { width: 2, height: 7, channels: 3, background: { r: 1, g: 2, b: 3 } } }).toColourspace('rgb16').png().toBuffer();
    expect(pngHeader(rgb16)).toEqual({ width: 2, height: 7, bitDepth: 16 });
  });

  it('answers null for other formats and truncated PNGs', async () => {
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 0 } } }).jpeg().toBuffer();
    expect(pngHeader(jpeg)).toBeNull();
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
    expect(pngHeader(png.subarray(0, 32))).toBeNull();
    expect(pngHeader(new Uint8Array(0))).toBeNull();
  });
});
