import { SCORE_BIN_COUNT, binLowerBound, scoreBin } from './score-bins';

describe('scoreBin', () => {
  it('never gives a larger score a smaller bin', () => {
    const scores = [-3, -1, -0.5, -1e-9, 0, 1e-9, 0.25, 1, 1.001, 2, 1e6];
    const bins = scores.map(scoreBin);
    for (let i = 1; i < bins.length; i++) expect(bins[i]).toBeGreaterThan(bins[i - 1]);
    expect(Math.min(...bins)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...bins)).toBeLessThan(SCORE_BIN_COUNT);
  });

  it('merges scores closer than 2^-11 relative and separates those 2^-11 apart', () => {
    expect(scoreBin(1 + 2 ** -12)).toBe(scoreBin(1));
    expect(scoreBin(1 + 2 ** -11)).toBe(scoreBin(1) + 1);
  });

  it('maps a bin back to its smallest member', () => {
    expect(binLowerBound(scoreBin(1))).toBe(1);
    expect(binLowerBound(scoreBin(1 + 2 ** -12))).toBe(1);
    expect(binLowerBound(scoreBin(0.75))).toBe(0.75);
  });
});
