// The evaluation run: fit on the training images, score every test image through the engine, accumulate
// image and pixel metrics in test-set order (so results are deterministic), and collect what the report shows.
import { EvalDataset, TestSample } from './datasets';
import { EvalEngine, ScoredImage } from './eval-engine';
import { readMask } from './ground-truth-mask';
import { f1Max } from './metrics/f1-max';
import { imageAuroc, rocCurve } from './metrics/image-auroc';
import { PixelMetrics, PixelMetricsAccumulator } from './metrics/pixel-metrics';

export interface EvalOutcome {
  scores: number[];
  labels: Array<0 | 1>;
  imageAuroc: number;
  imageRoc: { fpr: number[]; tpr: number[] };
  f1: ReturnType<typeof f1Max>;
  pixel: PixelMetrics | null;
  fitMs: number;
  scoringMs: number;
  perType: PerTypeOutcome[];
}

export interface PerTypeOutcome {
  type: string;
  count: number;
  auroc: number | null;
  meanScore: number;
  /** This type's defect pixels against every good pixel of the test set; null without pixel metrics. */
  pixelAuroc: number | null;
  /** This type's share of all defect pixels; null without pixel metrics. */
  pixelShare: number | null;
}

export type Progress = (message: string) => void;

/** Runs `task` over items with at most `window` in flight, handing results to `consume` strictly in order. */
async function inOrder<T, R>(
  items: T[],
  window: number,
  task: (item: T) => Promise<R>,
  consume: (result: R, index: number) => Promise<void>,
): Promise<void> {
  const pending: Array<Promise<R>> = [];
  let next = 0;
  const launch = (): void => {
    while (next < items.length && pending.length < window) pending.push(task(items[next++]));
  };
  launch();
  for (let i = 0; i < items.length; i++) {
    const result = await (pending.shift() as Promise<R>);
    launch();
    await consume(result, i);
  }
}

function perTypeAuroc(test: TestSample[], scores: number[], pixel: PixelMetrics | null): PerTypeOutcome[] {
  const good = test.flatMap((s, i) => (s.label === 0 ? [scores[i]] : []));
  const types = [...new Set(test.filter((s) => s.label === 1).map((s) => s.defectType))];
  return types.map((type) => {
    const own = test.flatMap((s, i) => (s.defectType === type ? [scores[i]] : []));
    const auroc = good.length ? imageAuroc({ scores: [...good, ...own], labels: [...good.map(() => 0), ...own.map(() => 1)] }) : null;
    return {
      type,
      count: own.length,
      auroc,
      meanScore: own.reduce((a, b) => a + b, 0) / own.length,
      pixelAuroc: pixel?.perGroupAuroc[type] ?? null,
      pixelShare: pixel?.perGroupShare[type] ?? null,
    };
  });
}

export async function evaluate(dataset: EvalDataset, engine: EvalEngine, progress: Progress, imageOnly = false): Promise<EvalOutcome> {
  progress(`fitting on ${dataset.train.length} images with ${engine.backboneName}`);
  const fitStart = performance.now();
  await engine.fit(dataset.train);
  const fitMs = performance.now() - fitStart;
  progress(`fit done in ${(fitMs / 1000).toFixed(1)} s; scoring ${dataset.test.length} test images`);

  const pixels = dataset.hasMasks && !imageOnly ? new PixelMetricsAccumulator() : null;
  const scores: number[] = [];
  const scoringStart = performance.now();
  const score = (sample: TestSample): Promise<ScoredImage> => engine.score(sample.imagePath, pixels !== null);
  // Twice the workers in flight keeps the pool busy while bounding the maps held in memory.
  await inOrder(dataset.test, engine.concurrency * 2, score, async (scored, i) => {
    scores.push(scored.score);
    if (pixels) {
      const mask = await readMask(dataset.test[i].maskPath, scored.width, scored.height);
      pixels.add(scored.map, mask, scored.width, scored.height, dataset.test[i].defectType);
    }
    if ((i + 1) % 25 === 0 || i + 1 === dataset.test.length) progress(`scored ${i + 1}/${dataset.test.length}`);
  });
  const scoringMs = performance.now() - scoringStart;

  const labels = dataset.test.map((s) => s.label);
  const pixel = pixels ? pixels.result(0.3) : null;
  const roc = rocCurve({ scores, labels });
  return {
    scores,
    labels,
    imageAuroc: imageAuroc({ scores, labels }),
    imageRoc: { fpr: roc.fpr, tpr: roc.tpr },
    f1: f1Max({ scores, labels }),
    pixel,
    fitMs,
    scoringMs,
    perType: perTypeAuroc(dataset.test, scores, pixel),
  };
}
