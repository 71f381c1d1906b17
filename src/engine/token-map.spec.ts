import { letterboxGeometry } from './letterbox';
import { tokenGridToCrop } from './token-map';

describe('tokenGridToCrop', () => {
  const grid = new Float32Array([0, 1, 2, 3]); // [[0, 1], [2, 3]]

  it('equals cv2.resize(INTER_LINEAR) when the crop fills the input', () => {
    const box = letterboxGeometry(4, 4, 28, 28);
    const out = tokenGridToCrop(grid, 2, 2, box);
    // cv2.resize(np.float32([[0,1],[2,3]]), (4,4))
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('maps only the content part of the grid onto a non-square crop', () => {
    // 8x4 crop in a 16x16 input: content 16x8 at offset (0, 4), i.e. token rows 0.5..1.5.
    const box = letterboxGeometry(8, 4, 16, 16);
    expect(box).toMatchObject({ contentWidth: 16, contentHeight: 8, offsetX: 0, offsetY: 4 });
    const out = tokenGridToCrop(grid, 2, 2, box);
    // Crop row y sits at token row (5 + 2y) / 8 - 0.5 → 0.125, 0.375, 0.625, 0.875 (grid rows differ by 2).
    const col0 = [0, 1, 2, 3].map((y) => out[y * 8]);
    expect(col0.map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.75, 1.25, 1.75]);
    // Along x the content spans the whole grid: x=0 → token col -0.375 (clamped to 0), x=7 → 1.375 (clamped to 1).
    expect(out[7] - out[0]).toBeCloseTo(1, 6);
  });
});
