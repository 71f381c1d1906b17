import { trapezoidArea } from './trapezoid';

describe('trapezoidArea', () => {
  it('integrates a piecewise-linear curve', () => {
    expect(trapezoidArea([0, 0.5, 1], [0, 1, 1])).toBeCloseTo(0.75, 12);
  });

  it('stops at xMax, interpolating the segment that crosses it', () => {
    // y = x on [0, 1]; cut at 0.3 → 0.3² / 2
    expect(trapezoidArea([0, 1], [0, 1], 0.3)).toBeCloseTo(0.045, 12);
  });

  it('counts nothing for a vertical step', () => {
    expect(trapezoidArea([0, 0, 1], [0, 1, 1])).toBeCloseTo(1, 12);
  });
});
