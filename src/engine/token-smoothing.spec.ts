import { gaussianKernel, kernelSizeForSigma } from './gaussian-blur';
import { letterboxGeometry } from './letterbox';
import { smoothTokenGrid } from './token-smoothing';

describe('smoothTokenGrid', () => {
  const square = letterboxGeometry(56, 56, 56, 56); // 7×7 cells of 8 px, no padding

  it('returns the grid itself when σ is 0', () => {
    const grid = new Float32Array(49).fill(0.5);
    expect(smoothTokenGrid(grid, 7, 7, 0, square)).toBe(grid);
  });

  it('spreads one patch over its neighbours with the separable Gaussian and keeps the total away from the border', () => {
    const box = letterboxGeometry(72, 72, 72, 72); // 9×9 cells: the 7-tap kernel around the centre never reflects
    const grid = new Float32Array(81);
    grid[4 * 9 + 4] = 1;
    const out = smoothTokenGrid(grid, 9, 9, 1, box);
    const k = gaussianKernel(kernelSizeForSigma(1), 1); // 7 taps, centre k[3]
    expect(out[4 * 9 + 4]).toBeCloseTo(k[3] * k[3], 6);
    expect(out[4 * 9 + 5]).toBeCloseTo(k[3] * k[4], 6);
    expect(out[3 * 9 + 5]).toBeCloseTo(k[2] * k[4], 6);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(grid[4 * 9 + 4]).toBe(1); // the input is left alone
  });

  it('smooths only the content cells of a letterboxed crop: padding neither changes nor leaks in', () => {
    // A 112×56 crop in a 56×56 input: content 56×28 centred (input rows 14–41); grid rows 0 and 6 are padding only.
    const box = letterboxGeometry(112, 56, 56, 56);
    expect([box.offsetY, box.contentHeight]).toEqual([14, 28]);
    const grid = new Float32Array(49).fill(9);
    for (let y = 1; y <= 5; y++) for (let x = 0; x < 7; x++) grid[y * 7 + x] = 1;
    const out = smoothTokenGrid(grid, 7, 7, 2, box);
    // Content cells are those holding any content row: 1..5 (row 1 holds input rows 8–15, content starts at 14).
    for (let y = 1; y <= 5; y++) for (let x = 0; x < 7; x++) expect(out[y * 7 + x]).toBeCloseTo(1, 6);
    for (const y of [0, 6]) for (let x = 0; x < 7; x++) expect(out[y * 7 + x]).toBe(9);
  });
});
