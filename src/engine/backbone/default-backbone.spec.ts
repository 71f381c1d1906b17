import type { RgbImage } from '../types';
import { Backbone } from './backbone';
import { buildDefaultBackbone, DEFAULT_BACKBONE_OPTIONS, defaultBackboneVersion, type DeepPartial, type DefaultBackboneOptions } from './default-backbone';
import { parseBackboneManifest } from './manifest';

const CPU = { device: 'cpu' as const, intraOpThreads: 1 };
const PIXEL_DIM = 36; // (8/2 + 2·1)² at half resolution
const GABOR_DIM = 12; // 6 orientations × 2 levels (the ALL_BRANCHES variant below)
// The generator's three-branch design at unit weights: the mechanics tests use it, whatever the default weights.
const ALL_BRANCHES: DeepPartial<DefaultBackboneOptions> = { pixel: { weight: 1 }, gabor: { orientations: 6 }, cnn: { weight: 1 } };

async function open(overrides: DeepPartial<DefaultBackboneOptions> = {}): Promise<Backbone> {
  const { model, manifest } = buildDefaultBackbone(overrides);
  return Backbone.open(parseBackboneManifest(JSON.parse(JSON.stringify(manifest))), model, CPU);
}

function image(fill: (x: number, y: number) => number, size = 224): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.fill(fill(x, y), (y * size + x) * 3, (y * size + x) * 3 + 3);
  return { data, width: size, height: size };
}

function noise(seed: number): (x: number, y: number) => number {
  return (x, y) => 60 + ((Math.imul(x * 73856093 ^ y * 19349663, seed) >>> 0) % 120);
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((a, b) => a + b * b, 0));
}

function slice(features: Float32Array, dim: number, cell: number, from: number, to: number): Float32Array {
  return features.subarray(cell * dim + from, cell * dim + to);
}

describe('built-in default backbone', () => {
  it('is generated deterministically from its seed', () => {
    const a = buildDefaultBackbone();
    const b = buildDefaultBackbone();
    const c = buildDefaultBackbone({ seed: 1 });
    expect(Buffer.from(a.model).equals(Buffer.from(b.model))).toBe(true);
    expect(Buffer.from(a.model).equals(Buffer.from(c.model))).toBe(false);
    expect(a.manifest.version).toBe(b.manifest.version);
    expect(c.manifest.version).not.toBe(a.manifest.version);
    expect(a.manifest.version).toBe(defaultBackboneVersion(DEFAULT_BACKBONE_OPTIONS));
  });

  it('by default maps a 224×224 input to a 28×28 grid of 52 features: pixel 36 at weight 0.1, gabor 16 at weight 1', async () => {
    const backbone = await open();
    const out = await backbone.extract(image(noise(3)));
    expect(backbone.info).toMatchObject({ name: 'builtin-texture', inputWidth: 224, inputHeight: 224, patchStride: 8, dim: 52 });
    expect([out.gridH, out.gridW, out.dim]).toEqual([28, 28, 52]);
    const cell = 14 * 28 + 9;
    expect(norm(slice(out.features, 52, cell, 0, PIXEL_DIM))).toBeCloseTo(0.1, 2);
    expect(norm(slice(out.features, 52, cell, PIXEL_DIM, 52))).toBeCloseTo(1, 1);
    await backbone.release();
  });

  it('maps a 224×224 input to a 28×28 grid of 176 features with all branches (pixel 36 + gabor 12 + cnn 128)', async () => {
    const backbone = await open(ALL_BRANCHES);
    const out = await backbone.extract(image(noise(3)));
    expect(backbone.info).toMatchObject({ name: 'builtin-texture', inputWidth: 224, inputHeight: 224, patchStride: 8, dim: 176 });
    expect([out.gridH, out.gridW, out.dim]).toEqual([28, 28, 176]);
    await backbone.release();
  });

  it('gives each branch unit norm on textured patches and near zero on flat ones', async () => {
    const backbone = await open(ALL_BRANCHES);
    const textured = await backbone.extract(image(noise(5)));
    const flat = await backbone.extract(image(() => 128));
    const cell = 14 * 28 + 9;
    const ranges: Array<[number, number]> = [[0, PIXEL_DIM], [PIXEL_DIM, PIXEL_DIM + GABOR_DIM], [PIXEL_DIM + GABOR_DIM, 176]];
    for (const [from, to] of ranges) expect(norm(slice(textured.features, 176, cell, from, to))).toBeCloseTo(1, 1);
    expect(norm(slice(flat.features, 176, cell, 0, PIXEL_DIM))).toBeLessThan(1e-3);
    expect(norm(slice(flat.features, 176, cell, PIXEL_DIM, PIXEL_DIM + GABOR_DIM))).toBeLessThan(1e-3);
    await backbone.release();
  });

  it('computes the pixel branch as a mean-subtracted, softly normalised half-resolution patch', async () => {
    const backbone = await open(ALL_BRANCHES);
    // One bright 2×2 block at input (8..9, 8..9) = half-resolution pixel (4, 4): window index (1, 1) of cell (1, 1).
    const out = await backbone.extract(image((x, y) => (x >> 1 === 4 && y >> 1 === 4 ? 200 : 100)));
    const d = 100 / 255;
    const expected = ((35 / 36) * d) / Math.sqrt(d * d * (35 / 36) + 0.01 * 0.01 * 36);
    const cell = slice(out.features, 176, 1 * 28 + 1, 0, PIXEL_DIM);
    expect(cell[7]).toBeCloseTo(expected, 4);
    expect(cell[0]).toBeCloseTo(-expected / 35, 4);
    expect(norm(slice(out.features, 176, 3 * 28 + 3, 0, PIXEL_DIM))).toBeLessThan(1e-4);
    await backbone.release();
  });

  it('keeps pixel and gabor features unchanged under a global brightness offset', async () => {
    const backbone = await open(ALL_BRANCHES);
    const base = noise(9);
    const a = await backbone.extract(image(base));
    const b = await backbone.extract(image((x, y) => base(x, y) + 40));
    let maxDiff = 0;
    for (let cell = 0; cell < 28 * 28; cell++) {
      const fa = slice(a.features, 176, cell, 0, PIXEL_DIM + GABOR_DIM);
      const fb = slice(b.features, 176, cell, 0, PIXEL_DIM + GABOR_DIM);
      for (let i = 0; i < fa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fa[i] - fb[i]));
    }
    expect(maxDiff).toBeLessThan(1e-4);
    await backbone.release();
  });

  it('applies branch weights and drops a branch whose weight is 0', async () => {
    const backbone = await open({ pixel: { weight: 2 }, gabor: { orientations: 6 }, cnn: { weight: 0 } });
    expect(backbone.info.dim).toBe(PIXEL_DIM + GABOR_DIM);
    const out = await backbone.extract(image(noise(11)));
    expect(norm(slice(out.features, 48, 100, 0, PIXEL_DIM))).toBeCloseTo(2, 1);
    expect(norm(slice(out.features, 48, 100, PIXEL_DIM, 48))).toBeCloseTo(1, 1);
    await backbone.release();
  });

  it('supports a non-square input size', async () => {
    const backbone = await open({ inputWidth: 256, inputHeight: 128 });
    const out = await backbone.extract({ data: new Uint8Array(256 * 128 * 3).fill(90), width: 256, height: 128 });
    expect([out.gridH, out.gridW]).toEqual([16, 32]);
    await backbone.release();
  });
});
