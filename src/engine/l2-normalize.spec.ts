import { l2NormalizeRows } from './l2-normalize';

describe('l2NormalizeRows', () => {
  it('divides each row by its norm plus 1e-8', () => {
    const rows = l2NormalizeRows(Float32Array.from([3, 4, 0, 0]), 2);
    expect(rows[0]).toBeCloseTo(0.6, 7);
    expect(rows[1]).toBeCloseTo(0.8, 7);
    expect(Array.from(rows.subarray(2))).toEqual([0, 0]); // a zero row stays zero instead of NaN
  });
});
