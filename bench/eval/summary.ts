// The one-line JSON summary printed last by `npm run eval` (snake_case keys: read by scripts and docs).
import { describeProfile, type DetectorProfile } from '../../src/engine/profile/detector-profile';
import type { TuningReport } from '../../src/engine/tuning/tune-profile';
import { EvalArgs } from './args';
import { EvalDataset } from './datasets';
import { EvalOutcome } from './evaluate';

export interface EvalSummary {
  dataset: string;
  layout: string;
  backbone: string;
  seed: number;
  coreset: number;
  train_images: number;
  test_good: number;
  test_defective: number;
  image_auroc: number;
  pixel_auroc: number | null;
  aupro_30: number | null;
  f1_max: number;
  f1_threshold: number;
  fit_s: number;
  /** Median worker-side time of one infer task (decode + backbone + kNN + post), the service's per-image cost. */
  ms_per_image: number;
  /** Scoring wall time divided by test images, all workers busy (includes the map rebuild when masks exist). */
  wall_ms_per_image: number;
  workers: number;
  memory_bank_rows: number | null;
  /** How the fitted model looks at the images (input sizing, feature weights and floors, score statistic). */
  profile: DetectorProfile | null;
  profile_summary: string | null;
  /** The fit-time self-tuning: synthetic-defect separation of the baseline and the chosen profile, every
   *  candidate tried; null when the profile was given (--profile) or tuning is off (BDI_SELF_TUNING=false). */
  tuning: TuningReport | null;
  peak_rss_mb: number;
  per_type_auroc: Record<string, number | null>;
  /** Pixel AUROC of each defect type's pixels against every good pixel; null without pixel metrics. */
  per_type_pixel_auroc: Record<string, number | null>;
  /** Each defect type's share of all defect pixels (what weighs on the pooled pixel AUROC). */
  per_type_pixel_share: Record<string, number | null>;
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

export interface EngineStats {
  backbone: string;
  workers: number;
  coresetRate: number;
  inferMs: number[];
  bankRows: number | null;
  profile: DetectorProfile | null;
  tuning: TuningReport | null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}

export function summarise(args: EvalArgs, dataset: EvalDataset, outcome: EvalOutcome, engine: EngineStats): EvalSummary {
  const good = outcome.labels.filter((l) => l === 0).length;
  return {
    dataset: dataset.root,
    layout: dataset.layout,
    backbone: engine.backbone,
    seed: args.seed,
    coreset: engine.coresetRate,
    train_images: dataset.train.length,
    test_good: good,
    test_defective: outcome.labels.length - good,
    image_auroc: round(outcome.imageAuroc, 4),
    pixel_auroc: outcome.pixel ? round(outcome.pixel.pixelAuroc, 4) : null,
    aupro_30: outcome.pixel ? round(outcome.pixel.aupro, 4) : null,
    f1_max: round(outcome.f1.f1, 4),
    f1_threshold: outcome.f1.threshold,
    fit_s: round(outcome.fitMs / 1000, 2),
    ms_per_image: round(median(engine.inferMs), 1),
    wall_ms_per_image: round(outcome.scoringMs / outcome.labels.length, 1),
    workers: engine.workers,
    memory_bank_rows: engine.bankRows,
    profile: engine.profile,
    profile_summary: engine.profile ? describeProfile(engine.profile) : null,
    tuning: engine.tuning,
    // maxRSS covers the whole process, worker threads included.
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    per_type_auroc: Object.fromEntries(outcome.perType.map((t) => [t.type, t.auroc === null ? null : round(t.auroc, 4)])),
    per_type_pixel_auroc: Object.fromEntries(outcome.perType.map((t) => [t.type, t.pixelAuroc === null ? null : round(t.pixelAuroc, 4)])),
    per_type_pixel_share: Object.fromEntries(outcome.perType.map((t) => [t.type, t.pixelShare === null ? null : round(t.pixelShare, 4)])),
  };
}
