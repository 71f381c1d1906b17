// Command-line options of `npm run eval`.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { DetectorProfile } from '../../src/engine/profile/detector-profile';
import { LAYOUTS, Layout } from './datasets';

export interface EvalArgs {
  dataset: string;
  layout: Layout;
  out: string;
  /** Installed backbone name (models/backbones/<name>); default: the engine's default backbone. */
  backbone?: string;
  /** Explicit backbone manifest path (experiments with generated variants); wins over --backbone. */
  manifest?: string;
  /** Training images (first N in name order); default per layout. */
  train?: number;
  /** Coreset ratio in (0, 1]; default: the engine's default. */
  coreset?: number;
  seed: number;
  /** Pool size; default: the engine's default. */
  workers?: number;
  /** Worst false negatives/positives shown in the report. */
  worst: number;
  /** Skip pixel metrics (quick ablations). */
  imageOnly: boolean;
  /** A fixed detector profile (JSON file) instead of the service's fit-time choice (ablations). */
  profile?: DetectorProfile;
}

export const USAGE =
  'usage: npm run eval -- --dataset <dir> --layout mtd|mvtec|mvtec3d --out <dir> ' +
  '[--backbone NAME | --manifest PATH] [--train N] [--coreset R] [--seed S] [--workers W] [--worst K] [--image-only] [--profile FILE.json]';

export class UsageError extends Error {}

function integer(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        dataset: { type: 'string' },
        layout: { type: 'string' },
        out: { type: 'string' },
        backbone: { type: 'string' },
        manifest: { type: 'string' },
        train: { type: 'string' },
        coreset: { type: 'string' },
        seed: { type: 'string' },
        workers: { type: 'string' },
        worst: { type: 'string' },
        'image-only': { type: 'boolean' },
        profile: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const text = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  const [dataset, layout, out] = [text('dataset'), text('layout'), text('out')];
  if (!dataset || !layout || !out) throw new UsageError('--dataset, --layout and --out are required');
  if (!(LAYOUTS as readonly string[]).includes(layout)) throw new UsageError(`--layout must be one of ${LAYOUTS.join(', ')}`);
  let coreset: number | undefined;
  const coresetText = text('coreset');
  if (coresetText !== undefined) {
    coreset = Number(coresetText);
    if (!(coreset > 0 && coreset <= 1)) throw new UsageError(`--coreset must be in (0, 1], got "${coresetText}"`);
  }
  const manifest = text('manifest');
  const profileFile = text('profile');
  let profile: DetectorProfile | undefined;
  if (profileFile !== undefined) {
    try {
      // Checked against the backbone by the fit task (block count), here only read.
      profile = JSON.parse(readFileSync(profileFile, 'utf8')) as DetectorProfile;
    } catch (error) {
      throw new UsageError(`--profile ${profileFile}: ${(error as Error).message}`);
    }
  }
  return {
    dataset: resolve(dataset),
    layout: layout as Layout,
    out: resolve(out),
    backbone: text('backbone'),
    manifest: manifest === undefined ? undefined : resolve(manifest),
    train: integer('train', text('train'), 1),
    coreset,
    seed: integer('seed', text('seed'), 0) ?? 0,
    workers: integer('workers', text('workers'), 1),
    worst: integer('worst', text('worst'), 0) ?? 6,
    imageOnly: values['image-only'] === true,
    ...(profile ? { profile } : {}),
  };
}
