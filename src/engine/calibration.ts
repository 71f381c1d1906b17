// Threshold choice from OK/NG scores, as the original's calib.choose_threshold.
import { CalibrationError } from './engine-error';
import { checkPercentile, percentile } from './percentile';

export function chooseThreshold(ok: ArrayLike<number>, ng: ArrayLike<number> | null | undefined, scorePercentile: number): number {
  const okFinite = Array.from(ok).filter(Number.isFinite);
  const ngFinite = ng ? Array.from(ng).filter(Number.isFinite) : [];
  if (okFinite.length === 0) throw new CalibrationError('Se requiere al menos 1 score OK para calibrar');
  checkPercentile(scorePercentile);
  const pOk = percentile(okFinite, scorePercentile);
  if (ngFinite.length === 0) return pOk;
  const pNg = percentile(ngFinite, 5);
  return pNg <= pOk ? pOk * 1.02 : (pOk + pNg) / 2;
}
