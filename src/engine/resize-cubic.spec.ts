// The addon's cubic reduce (native/src/resize-cubic.cc) against sharp's own resize: the same bytes, or null where it
// leaves the work to sharp.
import { resizeFill } from './image';
import { loadNativeAddon } from './native-addon';
import { createPrng } from './seeded-prng';
import type { RgbImage } from './types';

const resizeCubicDown = (image: RgbImage, width: number, height: number) =>
  loadNativeAddon().resizeCubicDown(image.data, image.width, image.height, width, height);

type Pattern = 'noise' | 'smooth' | 'gradient' | 'wave';

function image(width: number, height: number, pattern: Pattern, seed: number): RgbImage {
  const prng = createPrng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (y * width + x) * 3 + c;
        if (pattern === 'noise') data[at] = prng.int(256);
        else if (pattern === 'wave') data[at] = Math.floor(128 + 127 * Math.sin(at / 97));
        else if (pattern === 'gradient') data[at] = Math.round((255 * (x + 2 * y + 40 * c)) / (width + 2 * height + 80));
        else data[at] = Math.round(127.5 + 127.5 * Math.sin(x / (7 + c)) * Math.cos(y / (11 - c)));
      }
    }
  }
  return { data, width, height };
}

/** sharp's resize (resizeFill on the main thread never takes the native path). */
async function expectSameAsSharp(source: RgbImage, width: number, height: number): Promise<void> {
  const native = resizeCubicDown(source, width, height);
  expect(native).not.toBeNull();
  const reference = await resizeFill(source, { width, height });
  expect(Buffer.from(native ?? []).equals(Buffer.from(reference.data))).toBe(true);
}

describe('resizeCubicDown (native)', () => {
  it.each([
    [448, 448, 224, 224, 'noise'],
    [448, 448, 392, 392, 'smooth'],
    [600, 400, 344, 144, 'noise'],
    // The vertical pass restarts its position every 16 output rows, as libvips' strips do: this case differs by
    // 346 bytes when it restarts every 8.
    [19, 481, 19, 192, 'wave'],
    [231, 605, 231, 448, 'gradient'],
    // Integer box pre-shrink on both axes (factors of 4.4 and 3.1), then the cubic reduce.
    [700, 310, 160, 100, 'noise'],
    [640, 480, 150, 112, 'smooth'],
    [300, 200, 300, 120, 'noise'],
    [301, 117, 173, 117, 'smooth'],
  ] as const)('%ix%i → %ix%i (%s) gives sharp\'s bytes', async (w, h, outW, outH, pattern) => {
    await expectSameAsSharp(image(w, h, pattern, w * h), outW, outH);
  });

  it('gives sharp\'s bytes on random sizes and factors', async () => {
    const prng = createPrng(7);
    const patterns: Pattern[] = ['noise', 'smooth', 'gradient'];
    for (let i = 0; i < 24; i++) {
      const w = 16 + prng.int(300);
      const h = 16 + prng.int(300);
      const outW = Math.max(1, Math.ceil(w / 4) + prng.int(w - Math.ceil(w / 4) + 1));
      const outH = Math.max(1, Math.ceil(h / 4) + prng.int(h - Math.ceil(h / 4) + 1));
      await expectSameAsSharp(image(w, h, patterns[i % 3], i), outW, outH);
    }
  });

  it('copies an unchanged size and leaves any enlargement to sharp', () => {
    const source = image(20, 10, 'noise', 3);
    expect(Buffer.from(resizeCubicDown(source, 20, 10) ?? []).equals(Buffer.from(source.data))).toBe(true);
    expect(resizeCubicDown(source, 21, 10)).toBeNull();
    expect(resizeCubicDown(source, 10, 11)).toBeNull();
    expect(resizeCubicDown(source, 0, 5)).toBeNull();
    expect(() => loadNativeAddon().resizeCubicDown(source.data.subarray(1), 20, 10, 10, 5)).toThrow(/^resizeCubicDown: /);
  });
});
