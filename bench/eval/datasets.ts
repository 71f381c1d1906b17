// Test/train splits of the supported dataset layouts. Only file listing happens here; decoding is the
// engine's job (the evaluation must read images exactly as the service does).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

export const LAYOUTS = ['mtd', 'mvtec', 'mvtec3d'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface TestSample {
  imagePath: string;
  /** 1 = defective, 0 = good. */
  label: 0 | 1;
  /** Defect folder name (`good` for good images). */
  defectType: string;
  /** Ground-truth mask (> 0 = defect); null for a good image without one (treated as all background). */
  maskPath: string | null;
}

export interface EvalDataset {
  layout: Layout;
  root: string;
  train: string[];
  test: TestSample[];
  /** True when every defective test image has a mask, so pixel metrics are defined. */
  hasMasks: boolean;
}

export interface SplitOptions {
  /** Number of training images (first N in name order); default: MTD 200, others all. */
  trainCount?: number;
}

export class DatasetLayoutError extends Error {}

const MTD_DEFAULT_TRAIN = 200;
const IMAGE_EXT = /\.(png|jpe?g|bmp|tiff?)$/i;

// Plain code-unit order, as Python's sorted(): locale collation would change the MTD split.
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function listDir(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetLayoutError(`missing folder: ${dir}`);
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort(byName);
}

function subdirs(dir: string): string[] {
  if (!existsSync(dir)) throw new DatasetLayoutError(`missing folder: ${dir}`);
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort(byName);
}

function firstN(paths: string[], n: number | undefined): string[] {
  return n === undefined ? paths : paths.slice(0, n);
}

function stem(name: string): string {
  return basename(name, extname(name));
}

function existingOrNull(path: string): string | null {
  return existsSync(path) ? path : null;
}

function withMaskFlag(dataset: Omit<EvalDataset, 'hasMasks'>): EvalDataset {
  const hasMasks = dataset.test.some((s) => s.label === 1) && dataset.test.every((s) => s.label === 0 || s.maskPath !== null);
  return { ...dataset, hasMasks };
}

/** MTD: MT_Free sorted by name; i % 5 == 0 → test good; first N of the rest → train; other MT_* → test defective. */
function loadMtd(root: string, options: SplitOptions): EvalDataset {
  const freeDir = join(root, 'MT_Free', 'Imgs');
  const free = listDir(freeDir, /\.jpg$/i);
  const test: TestSample[] = [];
  const rest: string[] = [];
  free.forEach((name, i) => {
    const imagePath = join(freeDir, name);
    if (i % 5 === 0) test.push({ imagePath, label: 0, defectType: 'good', maskPath: existingOrNull(join(freeDir, `${stem(name)}.png`)) });
    else rest.push(imagePath);
  });
  for (const folder of subdirs(root).filter((d) => d.startsWith('MT_') && d !== 'MT_Free')) {
    const dir = join(root, folder, 'Imgs');
    for (const name of listDir(dir, /\.jpg$/i)) {
      test.push({ imagePath: join(dir, name), label: 1, defectType: folder.slice(3), maskPath: existingOrNull(join(dir, `${stem(name)}.png`)) });
    }
  }
  const train = rest.slice(0, options.trainCount ?? MTD_DEFAULT_TRAIN);
  return withMaskFlag({ layout: 'mtd', root, train, test });
}

/** MVTec AD: train/good/*, test/<type>/*, ground_truth/<type>/<stem>_mask.png. */
function loadMvtec(root: string, options: SplitOptions): EvalDataset {
  const trainDir = join(root, 'train', 'good');
  const train = firstN(listDir(trainDir, IMAGE_EXT).map((n) => join(trainDir, n)), options.trainCount);
  const test: TestSample[] = [];
  for (const type of subdirs(join(root, 'test'))) {
    const dir = join(root, 'test', type);
    const label = type === 'good' ? 0 : 1;
    for (const name of listDir(dir, IMAGE_EXT)) {
      const maskPath = existingOrNull(join(root, 'ground_truth', type, `${stem(name)}_mask.png`));
      test.push({ imagePath: join(dir, name), label, defectType: type, maskPath });
    }
  }
  return withMaskFlag({ layout: 'mvtec', root, train, test });
}

/** MVTec 3D-AD, RGB only: train/good/rgb/*, test/<type>/rgb/*, test/<type>/gt/<same name>. */
function loadMvtec3d(root: string, options: SplitOptions): EvalDataset {
  const trainDir = join(root, 'train', 'good', 'rgb');
  const train = firstN(listDir(trainDir, IMAGE_EXT).map((n) => join(trainDir, n)), options.trainCount);
  const test: TestSample[] = [];
  for (const type of subdirs(join(root, 'test'))) {
    const dir = join(root, 'test', type, 'rgb');
    const label = type === 'good' ? 0 : 1;
    for (const name of listDir(dir, IMAGE_EXT)) {
      const maskPath = existingOrNull(join(root, 'test', type, 'gt', name));
      test.push({ imagePath: join(dir, name), label, defectType: type, maskPath });
    }
  }
  return withMaskFlag({ layout: 'mvtec3d', root, train, test });
}

export function loadDataset(root: string, layout: Layout, options: SplitOptions = {}): EvalDataset {
  const dataset =
    layout === 'mtd' ? loadMtd(root, options) : layout === 'mvtec' ? loadMvtec(root, options) : loadMvtec3d(root, options);
  if (dataset.train.length === 0) throw new DatasetLayoutError(`no training images found under ${root}`);
  if (dataset.test.length === 0) throw new DatasetLayoutError(`no test images found under ${root}`);
  return dataset;
}
