import { chooseThreshold } from './calibration';
import { CalibrationError, InvalidArgumentError } from './engine-error';

describe('chooseThreshold', () => {
  it('takes the midpoint of p99(OK) and p5(NG) when they are apart', () => {
    expect(chooseThreshold([10, 11, 13], [22], 99)).toBeCloseTo(17.48, 12);
  });

  it('returns p99(OK) when there are no NG scores', () => {
    expect(chooseThreshold([10, 11, 13], null, 99)).toBeCloseTo(12.96, 12);
    expect(chooseThreshold([10, 11, 13], [], 99)).toBeCloseTo(12.96, 12);
  });

  it('returns p(OK)·1.02 when NG overlaps OK', () => {
    expect(chooseThreshold([0.1, 0.2], [0.15], 99)).toBeCloseTo(0.20298, 12);
  });

  it('drops non-finite scores', () => {
    expect(chooseThreshold([10, NaN, 11, Infinity, 13], [22, -Infinity], 99)).toBeCloseTo(17.48, 12);
  });

  it('requires at least one finite OK score', () => {
    expect(() => chooseThreshold([NaN], [1], 99)).toThrow(CalibrationError);
    expect(() => chooseThreshold([], [1], 99)).toThrow('Se requiere al menos 1 score OK para calibrar');
  });

  it('rejects percentiles outside [0, 100]', () => {
    expect(() => chooseThreshold([1], null, 101)).toThrow(InvalidArgumentError);
    expect(() => chooseThreshold([1], null, -1)).toThrow('Percentiles must be in the range [0, 100]');
  });
});
