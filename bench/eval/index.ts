// `npm run eval`: quality of the inspection engine on a dataset, through the same pool as the service.
// Progress goes to stderr; the last stdout line is the JSON summary; report.html lands in --out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvalArgs, USAGE, UsageError, parseEvalArgs } from './args';
import { loadDataset } from './datasets';
import { evaluate } from './evaluate';
import { createPoolEngine } from './pool-engine';
import { renderReport } from './report/report-html';
import { summarise } from './summary';
import { caseCards, worstIndices } from './worst-cases';

const progress = (message: string): void => {
  process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function run(args: EvalArgs): Promise<void> {
  const dataset = loadDataset(args.dataset, args.layout, { trainCount: args.train });
  progress(`${dataset.layout}: ${dataset.train.length} train, ${dataset.test.length} test, masks ${dataset.hasMasks ? 'yes' : 'no'}`);
  mkdirSync(args.out, { recursive: true });
  const engine = await createPoolEngine(args, join(args.out, 'model'));
  try {
    const outcome = await evaluate(dataset, engine, progress, args.imageOnly);
    const summary = summarise(args, dataset, outcome, {
      backbone: engine.backboneName,
      workers: engine.concurrency,
      coresetRate: engine.coresetRate,
      inferMs: engine.inferMs,
      bankRows: engine.fitInfo?.bankRows ?? null,
      profile: engine.fitInfo?.profile ?? null,
      tuning: engine.fitInfo?.tuning ?? null,
    });

    progress('rendering report');
    const goodScores = outcome.scores.filter((_, i) => outcome.labels[i] === 0);
    const scale = { lo: median(goodScores), hi: Math.max(...outcome.scores) };
    const html = renderReport({
      title: `Quality evaluation: ${dataset.layout} ${dataset.root}`,
      command: `npm run eval -- ${process.argv.slice(2).join(' ')}`,
      metrics: { ...summary },
      imageRoc: { ...outcome.imageRoc, auroc: outcome.imageAuroc },
      pixelRoc: outcome.pixel ? { ...outcome.pixel.roc, auroc: outcome.pixel.pixelAuroc } : null,
      goodScores,
      defectiveScores: outcome.scores.filter((_, i) => outcome.labels[i] === 1),
      threshold: outcome.f1.threshold,
      perType: outcome.perType,
      falseNegatives: await caseCards(dataset, engine, worstIndices(outcome.scores, outcome.labels, 1, args.worst), scale),
      falsePositives: await caseCards(dataset, engine, worstIndices(outcome.scores, outcome.labels, 0, args.worst), scale),
    });
    writeFileSync(join(args.out, 'report.html'), html);
    writeFileSync(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    // Per-image scores, for analyses the summary does not anticipate (e.g. per acquisition series).
    const rows = dataset.test.map((s, i) => `${JSON.stringify(s.imagePath.slice(dataset.root.length + 1))},${s.label},${s.defectType},${outcome.scores[i]}`);
    writeFileSync(join(args.out, 'scores.csv'), `path,label,type,score\n${rows.join('\n')}\n`);
    progress(`report: ${join(args.out, 'report.html')}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  let args: EvalArgs;
  try {
    args = parseEvalArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  await run(args);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
