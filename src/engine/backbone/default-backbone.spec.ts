import type { RgbImage } from '../types';
import { Backbone } from './backbone';
import { buildDefaultBackbone, DEFAULT_BACKBONE_OPTIONS, defaultBackboneVersion, type DeepPartial, type DefaultBackboneOptions } from './default-backbone';
import { parseBackboneManifest } from './manifest';
import { normaliseFeatures } from '../profile/feature-normalisation';

const CPU = { device: 'cpu' as const, intraOpThreads: 1 };
const PIXEL_DIM = 36; // (8/2 + 2·1)² at half resolution
const GABOR_DIM = 12; // 6 orientations × 2 levels (the ALL_BRANCHES variant below)
// The pixel, Gabor and CNN branches at unit weights (tone off): the mechanics tests use it, whatever the default weights.
const ALL_BRANCHES: DeepPartial<DefaultBackboneOptions> = { pixel: { weight: 1 }, gabor: { orientations: 6 }, cnn: { weight: 1 }, tone: { weight: 0 } };

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

/** The backbone's own block normalisation (manifest weights and floors), without the whole-row unit norm, so each
 *  block's norm can be read. */
async function blockNormalised(backbone: Backbone, img: RgbImage): Promise<{ features: Float32Array; gridH: number; gridW: number; dim: number }> {
  const out = await backbone.extract(img);
  const n = backbone.manifest.normalisation;
  if (!n) throw new Error('the built-in manifest declares its normalisation');
  normaliseFeatures(out.features, out.dim, backbone.info.blocks, { ...n, unitNorm: false });
  return out;
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

  it('by default maps a 224×224 input to a 28×28 grid of 54 features: pixel 36 at weight 0.1, gabor 16 at weight 1, tone 2', async () => {
    const backbone = await open();
    const out = await blockNormalised(backbone, image(noise(3)));
    expect(backbone.info).toMatchObject({ name: 'builtin-texture', inputWidth: 224, inputHeight: 224, patchStride: 8, dim: 54, blocks: [36, 16, 2], resizable: true });
    expect(backbone.manifest.outputs.map((o) => o.name)).toEqual(['pixel', 'gabor', 'tone']);
    expect([out.gridH, out.gridW, out.dim]).toEqual([28, 28, 54]);
    const cell = 14 * 28 + 9;
    expect(norm(slice(out.features, 54, cell, 0, PIXEL_DIM))).toBeCloseTo(0.1, 2);
    expect(norm(slice(out.features, 54, cell, PIXEL_DIM, 52))).toBeCloseTo(1, 1);
    await backbone.release();
  });

  it('computes tone as the cell mean minus the crop mean over the crop spread, and its 3×3-cell average', async () => {
    const backbone = await open();
    // Left half 60, right half 180: mean 120, spread 60 (in /255 units); cells are ±1 spreads, borders average.
    const out = await backbone.extract(image((x) => (x < 112 ? 60 : 180)));
    const at = (r: number, c: number, k: number): number => out.features[(r * 28 + c) * 54 + 52 + k];
    expect(at(10, 3, 0)).toBeCloseTo(-1, 2);
    expect(at(10, 20, 0)).toBeCloseTo(1, 2);
    expect(at(10, 3, 1)).toBeCloseTo(-1, 2);
    expect(at(10, 13, 1)).toBeCloseTo(-1 / 3, 2); // neighbours 12, 13 dark, 14 bright
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
    const textured = await blockNormalised(backbone, image(noise(5)));
    const flat = await blockNormalised(backbone, image(() => 128));
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
    const out = await blockNormalised(backbone, image((x, y) => (x >> 1 === 4 && y >> 1 === 4 ? 200 : 100)));
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
    const backbone = await open({ pixel: { weight: 2 }, gabor: { orientations: 6 }, cnn: { weight: 0 }, tone: { weight: 0 } });
    expect(backbone.info.dim).toBe(PIXEL_DIM + GABOR_DIM);
    expect(backbone.manifest.normalisation).toEqual({ weights: [2, 1], floors: [0.01 * 6, 0.01 * Math.sqrt(12)], unitNorm: true });
    const out = await blockNormalised(backbone, image(noise(11)));
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

  it('takes any input size that is a multiple of the stride, and refuses others', async () => {
    const backbone = await open();
    const out = await backbone.extract({ data: new Uint8Array(96 * 40 * 3).fill(90), width: 96, height: 40 });
    expect([out.gridH, out.gridW, out.dim]).toEqual([5, 12, 54]);
    await expect(backbone.extract({ data: new Uint8Array(100 * 40 * 3), width: 100, height: 40 })).rejects.toThrow(/multiples of 8/);
    await backbone.release();
  });
});
