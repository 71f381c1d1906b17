import { Backbone } from './backbone';
import type { BackboneManifest } from './manifest';
import { OnnxGraphBuilder } from './onnx-graph-builder';

// A CNN-layout model with two maps at different resolutions: `fine` = 2×2 average pool ([1, 3, 4, 4] for an
// 8×8 input), `coarse` = 4×4 average pool ([1, 3, 2, 2]).
function twoScaleModel(): Uint8Array {
  const g = new OnnxGraphBuilder('two_scale');
  const x = g.input('image', [1, 3, 8, 8]);
  g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, ['fine']);
  g.op('AveragePool', [x], { kernel_shape: [4, 4], strides: [4, 4] }, ['coarse']);
  g.output('fine', [1, 3, 4, 4]);
  g.output('coarse', [1, 3, 2, 2]);
  return g.build();
}

const manifest: BackboneManifest = {
  name: 'two-scale',
  version: '1',
  description: '',
  model: 'model.onnx',
  // scale 1, mean 0, std 1: the model sees raw 0..255 values, which keeps hand-computed numbers exact.
  input: { name: 'image', width: 8, height: 8, layout: 'NCHW', colour: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
  patchStride: 2,
  outputs: [
    { name: 'fine', layout: 'nchw' },
    { name: 'coarse', layout: 'nchw' },
  ],
  combine: { mode: 'concat', grid: 'finest', neighbourhoodAverage: 3 },
};

describe('Backbone with CNN (nchw) outputs', () => {
  // R = 8·y + x (0..63), G = 10, B = 0 for every pixel.
  const image = { data: new Uint8Array(8 * 8 * 3), width: 8, height: 8 };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) image.data.set([8 * y + x, 10, 0], (y * 8 + x) * 3);

  it('combines two maps on the finest grid with 3×3 neighbourhood averaging', async () => {
    const backbone = await Backbone.open(manifest, twoScaleModel(), { device: 'cpu', intraOpThreads: 1 });
    const out = await backbone.extract(image);
    expect([out.gridH, out.gridW, out.dim]).toEqual([4, 4, 6]);
    const at = (row: number, col: number): number[] => Array.from(out.features.subarray((row * 4 + col) * 6, (row * 4 + col + 1) * 6));

    // fine R at cell (i, j) = mean of the 2×2 block = 16i + 2j + 4.5; G = 10; B = 0.
    // Cell (1, 1): full 3×3 window → the centre value 16 + 2 + 4.5 = 22.5; G = 10.
    // Cell (0, 0): 4 real cells of the 3×3 window, zero padding counted (÷9): R = (4.5 + 6.5 + 20.5 + 22.5) / 9 = 6.
    // coarse R: 4×4 blocks = [[13.5, 17.5], [45.5, 49.5]]; averaged 3×3 with padding: every cell sees all four = 126/9 = 14,
    // G = 40/9 — uniform maps stay uniform when resampled to 4×4.
    const [r11, g11, b11, cr11, cg11] = at(1, 1);
    expect([r11, g11, b11]).toEqual([22.5, 10, 0]);
    expect(cr11).toBeCloseTo(14, 5);
    expect(cg11).toBeCloseTo(40 / 9, 5);
    const [r00, g00] = at(0, 0);
    expect(r00).toBeCloseTo(6, 5);
    expect(g00).toBeCloseTo(40 / 9, 5);
    await backbone.release();
  });

  it('resamples the coarse map bilinearly (align_corners=false) when no averaging is applied', async () => {
    const plain = { ...manifest, combine: { ...manifest.combine, neighbourhoodAverage: 1 } };
    const backbone = await Backbone.open(plain, twoScaleModel(), { device: 'cpu', intraOpThreads: 1 });
    const out = await backbone.extract(image);
    const coarseR = (row: number, col: number): number => out.features[(row * 4 + col) * 6 + 3];
    // Source coordinate of output column j: max(0, (j + 0.5) / 2 − 0.5) → 0, 0.25, 0.75, 1 (clamped).
    // Row 0 of coarse R is [13.5, 17.5]: → 13.5, 14.5, 16.5, 17.5.
    expect([0, 1, 2, 3].map((c) => coarseR(0, c))).toEqual([13.5, 14.5, 16.5, 17.5]);
    // Column 0 of coarse R is [13.5, 45.5]: rows → 13.5, 21.5, 37.5, 45.5.
    expect([0, 1, 2, 3].map((r) => coarseR(r, 0))).toEqual([13.5, 21.5, 37.5, 45.5]);
    await backbone.release();
  });

  it('uses the coarsest grid when asked, averaging the fine map down', async () => {
    const coarse = { ...manifest, patchStride: 4, combine: { mode: 'concat' as const, grid: 'coarsest' as const, neighbourhoodAverage: 1 } };
    const backbone = await Backbone.open(coarse, twoScaleModel(), { device: 'cpu', intraOpThreads: 1 });
    const out = await backbone.extract(image);
    expect([out.gridH, out.gridW, out.dim]).toEqual([2, 2, 6]);
    // Downsampling 4 → 2 samples source 0.5 and 2.5: fine R at (0.5, 0.5) = mean of cells (0..1, 0..1) = 13.5.
    expect(out.features[0]).toBeCloseTo(13.5, 5);
    expect(out.features[3]).toBeCloseTo(13.5, 5);
    await backbone.release();
  });

  it('rejects a patch stride that does not match the combined grid', async () => {
    const wrong = { ...manifest, patchStride: 4 };
    await expect(Backbone.open(wrong, twoScaleModel(), { device: 'cpu', intraOpThreads: 1 })).rejects.toMatchObject({
      code: 'backbone_model_mismatch',
      message: expect.stringContaining('Combined grid is 4x4, expected 2x2'),
    });
  });
});
