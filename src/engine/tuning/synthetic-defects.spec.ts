import { createPrng } from '../seeded-prng';
import { RgbImage } from '../types';
import {
  SYNTHETIC_DEFECT_KINDS,
  SYNTHETIC_MASK_DELTA,
  SYNTHETIC_MIN_DELTA,
  SyntheticDefect,
  synthesizeDefect,
  synthesizeDefects,
} from './synthetic-defects';

const flat = (width: number, height: number, r: number, g = r, b = r): RgbImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([r, g, b], i * 3);
  return { data, width, height };
};

/** Dark textured product on a black background: left half noise around 90, right half near-black sensor noise. */
const textured = (width: number, height: number, seed = 7): RgbImage => {
  const prng = createPrng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = x < width / 2 ? 90 + 30 * Math.sin(x / 3) * Math.cos(y / 5) : 4;
      const v = Math.max(0, Math.min(255, Math.round(base + prng.normal() * 3)));
      data.set([v, Math.max(0, v - 5), Math.min(255, v + 5)], (y * width + x) * 3);
    }
  }
  return { data, width, height };
};

/** Every pixel spells its own coordinates: R = x, G = y, B = `blue`. */
const coordinates = (width: number, height: number, blue: number): RgbImage => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, blue], (y * width + x) * 3);
  return { data, width, height };
};

const maskCount = (d: SyntheticDefect): number => d.mask.reduce((s, v) => s + v, 0);

const peakDelta = (input: RgbImage, d: SyntheticDefect): number => {
  let peak = 0;
  for (let i = 0; i < input.data.length; i++) peak = Math.max(peak, Math.abs(d.image.data[i] - input.data[i]));
  return peak;
};

const box = (d: SyntheticDefect): { x0: number; y0: number; x1: number; y1: number } => {
  const { width, height } = d.image;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!d.mask[y * width + x]) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return { x0, y0, x1, y1 };
};

/** Mask = exactly the pixels with a changed byte; everything outside it is byte-identical to the input. */
const expectMaskMatchesChanges = (input: RgbImage, d: SyntheticDefect): void => {
  const { width, height } = input;
  expect(d.image.width).toBe(width);
  expect(d.image.height).toBe(height);
  expect(d.mask.length).toBe(width * height);
  let mismatches = 0;
  for (let i = 0; i < width * height; i++) {
    const p = i * 3;
    const changed = d.image.data[p] !== input.data[p] || d.image.data[p + 1] !== input.data[p + 1] || d.image.data[p + 2] !== input.data[p + 2];
    if (changed !== (d.mask[i] === 1)) mismatches++;
  }
  expect(mismatches).toBe(0);
  const count = maskCount(d);
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThan(width * height);
};

describe('synthesizeDefect', () => {
  it.each(SYNTHETIC_DEFECT_KINDS)('%s is deterministic for a seed and differs between seeds', (kind) => {
    const image = textured(96, 80);
    const donor = textured(70, 90, 99);
    const a = synthesizeDefect(image, 1234, kind, donor);
    const b = synthesizeDefect(image, 1234, kind, donor);
    expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
    expect(Buffer.from(b.mask).equals(Buffer.from(a.mask))).toBe(true);
    expect(a.kind).toBe(kind);
    const c = synthesizeDefect(image, 1235, kind, donor);
    expect(Buffer.from(c.image.data).equals(Buffer.from(a.image.data))).toBe(false);
  });

  it('never changes its input', () => {
    const image = textured(64, 64);
    const copy = image.data.slice();
    for (const kind of SYNTHETIC_DEFECT_KINDS) synthesizeDefect(image, 3, kind);
    expect(Buffer.from(image.data).equals(Buffer.from(copy))).toBe(true);
  });

  it.each(SYNTHETIC_DEFECT_KINDS)('%s: mask is non-empty, not the whole crop, and exactly the changed pixels', (kind) => {
    const image = textured(128, 96);
    const donor = textured(128, 96, 11);
    for (let seed = 0; seed < 25; seed++) {
      const d = synthesizeDefect(image, seed, kind, seed % 2 ? donor : undefined);
      expectMaskMatchesChanges(image, d);
      const b = box(d);
      expect(b.x0).toBeGreaterThanOrEqual(0);
      expect(b.y0).toBeGreaterThanOrEqual(0);
      expect(b.x1).toBeLessThan(128);
      expect(b.y1).toBeLessThan(96);
    }
  });

  it.each(SYNTHETIC_DEFECT_KINDS)('%s reaches the minimum contrast on flat black and flat mid-grey', (kind) => {
    for (const level of [0, 128, 255]) {
      const image = flat(64, 48, level);
      for (let seed = 0; seed < 12; seed++) {
        const d = synthesizeDefect(image, seed, kind);
        expectMaskMatchesChanges(image, d);
        expect(peakDelta(image, d)).toBeGreaterThanOrEqual(SYNTHETIC_MIN_DELTA);
        // Every changed pixel changed materially (for patches on a flat image the shifted copy does too).
        for (let i = 0; i < d.mask.length; i++) {
          if (!d.mask[i] || kind === 'patch') continue;
          expect(Math.abs(d.image.data[i * 3] - level)).toBeGreaterThanOrEqual(SYNTHETIC_MASK_DELTA);
        }
      }
    }
  });

  it.each(['scratch', 'spot', 'dent'] as const)('%s changes all channels by the same grey-level delta', (kind) => {
    const image = flat(64, 64, 100, 120, 80);
    const d = synthesizeDefect(image, 5, kind);
    for (let i = 0; i < d.mask.length; i++) {
      if (!d.mask[i]) continue;
      const dr = d.image.data[i * 3] - 100;
      expect(d.image.data[i * 3 + 1] - 120).toBe(dr);
      expect(d.image.data[i * 3 + 2] - 80).toBe(dr);
    }
  });

  it('scales contrast with the local dynamic range', () => {
    // Stripes 0/200: dynamic range 200, so spots carry at least 0.15 × 200 = 30 grey levels.
    const image = flat(64, 64, 0);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x += 2) image.data.fill(200, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    for (let seed = 0; seed < 10; seed++) expect(peakDelta(image, synthesizeDefect(image, seed, 'spot'))).toBeGreaterThanOrEqual(30);
  });

  it('patch pastes donor content, coherently, with a feathered border', () => {
    const image = flat(120, 100, 40);
    const donor = coordinates(90, 70, 200);
    for (let seed = 0; seed < 30; seed++) {
      const d = synthesizeDefect(image, seed, 'patch', donor);
      expectMaskMatchesChanges(image, d);
      let core = 0;
      let feathered = 0;
      for (let y = 0; y < 100; y++) {
        for (let x = 0; x < 120; x++) {
          const i = y * 120 + x;
          if (!d.mask[i]) continue;
          const [r, g, b] = d.image.data.subarray(i * 3, i * 3 + 3);
          expect(b).toBeGreaterThan(40);
          expect(b).toBeLessThanOrEqual(200);
          if (b !== 200) {
            feathered++;
            continue;
          }
          core++;
          expect(r).toBeLessThan(90); // a donor coordinate
          expect(g).toBeLessThan(70);
          // Core neighbours come from neighbouring donor pixels (any of the rotations or flips).
          const right = i + 1;
          if (x + 1 < 120 && d.mask[right] && d.image.data[right * 3 + 2] === 200) {
            expect(Math.abs(d.image.data[right * 3] - r) + Math.abs(d.image.data[right * 3 + 1] - g)).toBe(1);
          }
        }
      }
      expect(core).toBeGreaterThan(0);
      expect(feathered).toBeGreaterThan(0);
    }
  });

  it('patch without donor takes content from another place of the same image', () => {
    const image = coordinates(100, 80, 0);
    for (let seed = 0; seed < 20; seed++) {
      const d = synthesizeDefect(image, seed, 'patch');
      expectMaskMatchesChanges(image, d);
      const b = box(d);
      // The pasted content spells other coordinates than where it sits: the source box is elsewhere.
      const cx = Math.round((b.x0 + b.x1) / 2);
      const cy = Math.round((b.y0 + b.y1) / 2);
      const p = (cy * 100 + cx) * 3;
      expect(d.mask[cy * 100 + cx]).toBe(1);
      expect(Math.abs(d.image.data[p] - cx) + Math.abs(d.image.data[p + 1] - cy)).toBeGreaterThan(2);
    }
  });

  it('patch works with a donor smaller than the patch and of another size', () => {
    const image = textured(300, 200);
    const donor = coordinates(6, 5, 250);
    for (let seed = 0; seed < 10; seed++) expectMaskMatchesChanges(image, synthesizeDefect(image, seed, 'patch', donor));
  });

  it('sizes scale with the crop', () => {
    const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
    const extent = (size: number, kind: (typeof SYNTHETIC_DEFECT_KINDS)[number]): number => {
      const image = flat(size, size, 128);
      return mean(
        Array.from({ length: 16 }, (_, seed) => {
          const b = box(synthesizeDefect(image, seed, kind));
          return Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
        }),
      );
    };
    for (const kind of SYNTHETIC_DEFECT_KINDS) {
      const small = extent(64, kind);
      const large = extent(512, kind);
      expect(large / small).toBeGreaterThan(3);
      expect(large / small).toBeLessThan(12);
    }
    // Absolute ranges on a 512 px crop: spots and patches 3–12 % of the side (+ feather), scratches 15–50 %.
    const image = flat(512, 512, 128);
    for (let seed = 0; seed < 16; seed++) {
      for (const kind of ['spot', 'patch'] as const) {
        const b = box(synthesizeDefect(image, seed, kind));
        expect(Math.max(b.x1 - b.x0, b.y1 - b.y0) + 1).toBeGreaterThanOrEqual(0.03 * 512 * 0.5);
        expect(Math.max(b.x1 - b.x0, b.y1 - b.y0) + 1).toBeLessThanOrEqual(0.12 * 512 * 1.3 + 4);
      }
      const s = box(synthesizeDefect(image, seed, 'scratch'));
      const diagonal = Math.hypot(s.x1 - s.x0, s.y1 - s.y0);
      expect(diagonal).toBeGreaterThanOrEqual(0.15 * 512 * 0.7);
      expect(diagonal).toBeLessThanOrEqual(0.5 * 512 * 1.2 + 8);
    }
  });

  it.each([
    [32, 24],
    [8, 8],
    [300, 60],
    [40, 333],
  ])('works on a %i×%i crop for every kind', (width, height) => {
    const image = textured(width, height);
    const donor = textured(height, width, 3);
    for (const kind of SYNTHETIC_DEFECT_KINDS) {
      for (let seed = 0; seed < 12; seed++) {
        const d = synthesizeDefect(image, seed, kind, seed % 2 ? donor : undefined);
        expectMaskMatchesChanges(image, d);
      }
    }
  });

  it('uses the long axis of an elongated crop for scratches', () => {
    const image = flat(400, 40, 128);
    for (let seed = 0; seed < 10; seed++) {
      const b = box(synthesizeDefect(image, seed, 'scratch'));
      expect(b.x1 - b.x0 + 1).toBeGreaterThanOrEqual(0.15 * 400 * 0.7);
    }
  });

  it('rejects crops that are too small or malformed', () => {
    expect(() => synthesizeDefect(flat(7, 20, 0), 1, 'spot')).toThrow(RangeError);
    expect(() => synthesizeDefect({ data: new Uint8Array(10), width: 8, height: 8 }, 1, 'spot')).toThrow(RangeError);
    expect(() => synthesizeDefect(flat(16, 16, 0), 1, 'crack' as never)).toThrow(RangeError);
  });
});

describe('synthesizeDefects', () => {
  it('cycles through the kinds and images, deterministically', () => {
    const images = [textured(64, 64, 1), textured(64, 64, 2), textured(48, 80, 3)];
    const a = synthesizeDefects(images, 10, 42);
    expect(a.map((d) => d.kind)).toEqual(['scratch', 'spot', 'dent', 'patch', 'scratch', 'spot', 'dent', 'patch', 'scratch', 'spot']);
    const b = synthesizeDefects(images, 10, 42);
    a.forEach((d, i) => expect(Buffer.from(b[i].image.data).equals(Buffer.from(d.image.data))).toBe(true));
    // Defect i sits in images[(i + ⌊i/4⌋) mod 3].
    a.forEach((d, i) => {
      const source = images[(i + Math.floor(i / 4)) % 3];
      expect(d.image.width).toBe(source.width);
      expectMaskMatchesChanges(source, d);
    });
    const c = synthesizeDefects(images, 10, 43);
    expect(c.some((d, i) => !Buffer.from(d.image.data).equals(Buffer.from(a[i].image.data)))).toBe(true);
  });

  it('works with one image and returns nothing for n = 0', () => {
    expect(synthesizeDefects([textured(32, 24)], 0, 1)).toEqual([]);
    expect(synthesizeDefects([textured(32, 24)], 8, 1)).toHaveLength(8);
    expect(() => synthesizeDefects([], 3, 1)).toThrow(RangeError);
  });
});
