// Image-level ROC analysis on exact scores (a test set holds at most a few thousand images).

export interface LabeledScores {
  scores: ArrayLike<number>;
  /** 1 = defective (positive), 0 = good. */
  labels: ArrayLike<number>;
}

export interface RocCurve {
  /** Ascending from 0 to 1; one point per unique threshold plus the origin. */
  fpr: number[];
  tpr: number[];
  /** thresholds[i] is the score at which point i is reached (score >= threshold ⇒ positive); +Infinity at the origin. */
  thresholds: number[];
}

function countClasses(labels: ArrayLike<number>): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  return { positives, negatives: labels.length - positives };
}

/** Indices sorted by score descending (ties keep input order, which never changes the metrics). */
function byScoreDescending(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** ROC from unique thresholds: tied scores move FPR and TPR together, i.e. a diagonal step. */
export function rocCurve({ scores, labels }: LabeledScores): RocCurve {
  const { positives, negatives } = countClasses(labels);
  const order = byScoreDescending(scores);
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i] === 1) tp++;
    else fp++;
    const last = k === order.length - 1 || scores[order[k + 1]] !== scores[i];
    if (last) {
      curve.fpr.push(negatives ? fp / negatives : 0);
      curve.tpr.push(positives ? tp / positives : 0);
      curve.thresholds.push(scores[i]);
    }
  }
  return curve;
}

/**
 * AUROC = P(score of a random defective > score of a random good) + 0.5 · P(equal): the Mann–Whitney
 * statistic, identical to the trapezoid area under `rocCurve`. NaN when a class is empty.
 */
export function imageAuroc({ scores, labels }: LabeledScores): number {
  const { positives, negatives } = countClasses(labels);
  if (!positives || !negatives) return NaN;
  const order = byScoreDescending(scores);
  // Walk groups of equal score from the top; each positive beats every negative below its group.
  let negativesAbove = 0;
  let wins = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let groupPos = 0;
    let groupNeg = 0;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      if (labels[order[end]] === 1) groupPos++;
      else groupNeg++;
      end++;
    }
    const negativesBelow = negatives - negativesAbove - groupNeg;
    wins += groupPos * (negativesBelow + 0.5 * groupNeg);
    negativesAbove += groupNeg;
    start = end;
  }
  return wins / (positives * negatives);
}
