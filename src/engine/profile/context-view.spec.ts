import { letterboxGeometry } from '../letterbox';
import { contextGrid, contextRows, upsampleContext } from './context-view';

/** The mean of rows (y, x) in [y0, y1) × [x0, x1), per channel, by hand. */
function boxMean(features: Float32Array, gridW: number, dim: number, y0: number, y1: number, x0: number, x1: number): number[] {
  const out = new Array<number>(dim).fill(0);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let j = 0; j < dim; j++) out[j] += features[(y * gridW + x) * dim + j];
  return out.map((v) => v / ((y1 - y0) * (x1 - x0)));
}

describe('contextRows', () => {
  // 5×6 cells of 8 px, 2 channels: channel 0 = y·10 + x, channel 1 = a square, so the means are easy to tell apart.
  const gridH = 5;
  const gridW = 6;
  const features = new Float32Array(gridH * gridW * 2);
  for (let y = 0; y < gridH; y++) {
    for (let x = 0; x < gridW; x++) {
      features[(y * gridW + x) * 2] = y * 10 + x;
      features[(y * gridW + x) * 2 + 1] = (y * gridW + x) ** 2;
    }
  }
  const rows = { features, gridH, gridW, dim: 2 };
  const square = letterboxGeometry(48, 40, 48, 40);

  it('averages each window centred every `stride` patches, cut at the grid edge', () => {
    const out = contextRows(rows, square, { window: 3, stride: 2 }, undefined);
    expect([out.gridH, out.gridW, out.dim]).toEqual([3, 3, 2]);
    expect(contextGrid(5, 6, 2)).toEqual({ gridH: 3, gridW: 3 });
    // View cell (1, 1) is centred on patch (2, 2): rows 1..3 × columns 1..3.
    const centre = Array.from(out.features.subarray((1 * 3 + 1) * 2, (1 * 3 + 1) * 2 + 2));
    expect(centre[0]).toBeCloseTo(22, 6);
    expect(centre[1]).toBeCloseTo(boxMean(features, gridW, 2, 1, 4, 1, 4)[1], 3);
    // View cell (0, 0): patch (0, 0), its window cut to rows 0..1 × columns 0..1. Cell (2, 2): patch (4, 4).
    expect(Array.from(out.features.subarray(0, 2)).map((v) => Number(v.toFixed(3)))).toEqual(boxMean(features, gridW, 2, 0, 2, 0, 2).map((v) => Number(v.toFixed(3))));
    expect(out.features[(2 * 3 + 2) * 2]).toBeCloseTo(boxMean(features, gridW, 2, 3, 5, 3, 6)[0], 5);
    expect(features[0]).toBe(0); // the input is left alone
  });

  it('appends position channels for its own grid when asked', () => {
    const out = contextRows(rows, square, { window: 3, stride: 2 }, 1);
    expect(out.dim).toBe(4);
    // Cell (0, 2) of a 3×3 grid: x = (2·2.5/3 − 1), y = (2·0.5/3 − 1).
    expect(out.features[2 * 4 + 2]).toBeCloseTo(2 / 3, 6);
    expect(out.features[2 * 4 + 3]).toBeCloseTo(-2 / 3, 6);
  });

  it('leaves letterbox padding out of every window and centres padding cells on the nearest content', () => {
    // A 96×48 crop in a 48×48 input: content rows 12..35, grid rows 1..4 of 0..5 hold content (6×6 cells).
    const box = letterboxGeometry(96, 48, 48, 48);
    const grid = new Float32Array(36).fill(100);
    for (let y = 1; y <= 4; y++) for (let x = 0; x < 6; x++) grid[y * 6 + x] = y;
    const out = contextRows({ features: grid, gridH: 6, gridW: 6, dim: 1 }, box, { window: 3, stride: 1 }, undefined);
    expect(out.features[0]).toBeCloseTo(1.5, 6); // padding row 0 → centred on row 1: rows 1..2 only
    expect(out.features[2 * 6 + 3]).toBeCloseTo(2, 6); // rows 1..3
    expect(out.features[5 * 6 + 3]).toBeCloseTo(3.5, 6); // padding row 5 → centred on row 4: rows 3..4
  });
});

describe('upsampleContext', () => {
  it("puts patch (y, x) at (y / stride, x / stride) of the view's grid, bilinearly, clamped at the last cell", () => {
    // View grid 2×2 for a 3×4 patch grid at stride 2.
    const view = Float32Array.of(0, 2, 4, 6);
    const out = upsampleContext(view, 3, 4, 2);
    expect(Array.from(out)).toEqual([
      0, 1, 2, 2, // row 0: cells at x/2 = 0, 0.5, 1, 1 (clamped)
      2, 3, 4, 4, // row 1: halfway to the view's row 1
      4, 5, 6, 6, // row 2: the view's row 1
    ]);
    expect(Array.from(upsampleContext(view, 2, 2, 1))).toEqual([0, 2, 4, 6]); // stride 1: the grid itself
  });
});
