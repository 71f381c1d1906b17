// The report's worst false negatives (defective, lowest scores) and false positives (good, highest scores).
import { EvalDataset } from './datasets';
import { EvalEngine } from './eval-engine';
import { readMask } from './ground-truth-mask';
import { CaseCard } from './report/report-html';
import { overlayDataUrl } from './report/heatmap-overlay';

/** Indices of the k worst of one class; ties broken by index so the report is deterministic. */
export function worstIndices(scores: number[], labels: Array<0 | 1>, label: 0 | 1, k: number): number[] {
  const candidates = labels.flatMap((l, i) => (l === label ? [i] : []));
  // Defective: lowest score is worst; good: highest.
  const sign = label === 1 ? 1 : -1;
  return candidates.sort((a, b) => sign * (scores[a] - scores[b]) || a - b).slice(0, k);
}

/** Re-scores the chosen images (scoring is deterministic) rather than holding every map during the run. */
export async function caseCards(
  dataset: EvalDataset,
  engine: EvalEngine,
  indices: number[],
  scale: { lo: number; hi: number },
): Promise<CaseCard[]> {
  const cards: CaseCard[] = [];
  for (const i of indices) {
    const sample = dataset.test[i];
    const scored = await engine.score(sample.imagePath, true);
    const mask = sample.maskPath ? await readMask(sample.maskPath, scored.width, scored.height) : null;
    const overlay = await overlayDataUrl({ imagePath: sample.imagePath, ...scored, ...scale, mask, maxSide: 256 });
    const name = sample.imagePath.slice(dataset.root.length + 1);
    cards.push({ title: name, subtitle: `${sample.defectType} · score ${scored.score.toPrecision(4)}`, overlay });
  }
  return cards;
}
