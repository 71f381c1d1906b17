// The inspection decision, one rule for the worker (which skips an OK part's heatmap) and the service that answers.

export type Decision = 'ok' | 'ng';

/** NG when the score reaches the threshold; a non-finite score counts as 0 (the service never answers NaN). */
export function decisionOf(score: number, threshold: number): Decision {
  return (Number.isFinite(score) ? score : 0) >= threshold ? 'ng' : 'ok';
}
