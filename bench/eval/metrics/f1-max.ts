// Best F1 over all image-score thresholds (predict defective when score >= threshold).
import { LabeledScores, rocCurve } from './image-auroc';

export interface F1Max {
  f1: number;
  threshold: number;
  precision: number;
  recall: number;
}

export function f1Max(data: LabeledScores): F1Max {
  let positives = 0;
  for (let i = 0; i < data.labels.length; i++) if (data.labels[i] === 1) positives++;
  const negatives = data.labels.length - positives;
  const roc = rocCurve(data);
  const best: F1Max = { f1: 0, threshold: Infinity, precision: 0, recall: 0 };
  for (let k = 1; k < roc.fpr.length; k++) {
    // Rates back to counts; rounding undoes the division exactly.
    const tp = Math.round(roc.tpr[k] * positives);
    const fp = Math.round(roc.fpr[k] * negatives);
    const fn = positives - tp;
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    if (f1 > best.f1) {
      best.f1 = f1;
      best.threshold = roc.thresholds[k];
      best.precision = tp / (tp + fp);
      best.recall = tp / positives;
    }
  }
  return best;
}
