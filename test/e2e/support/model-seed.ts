// Seeds one fitted and calibrated ROI model over HTTP (dataset upload → /fit_ok → /calibrate_ng), for the suites
// that need a working model to break, load or fuzz around. Works against supertest's server or a base URL.
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { baseName, circleShape, discPng } from './inspection-fixtures';

export const SEED_SIZE = 64;
export const SEED_ROLE = 'Inspection';
export const SEED_ROI = 'roi-1';
export const SEED_RECIPE = 'hardening';

export type Target = Parameters<typeof request>[0];

export interface SeededModel {
  recipe: string;
  role: string;
  roi: string;
  /** Absolute paths of the three artifacts. */
  files: { memory: string; index: string; calib: string };
}

export async function uploadSamples(target: Target, label: 'ok' | 'ng', count: number, seed: number, opts: { role?: string; roi?: string; recipe?: string } = {}): Promise<request.Response> {
  let req = request(target)
    .post(`/datasets/${label}/upload`)
    .field('recipe_id', opts.recipe ?? SEED_RECIPE)
    .field('role_id', opts.role ?? SEED_ROLE)
    .field('roi_id', opts.roi ?? SEED_ROI);
  for (let i = 0; i < count; i++) {
    req = req.attach('images', await discPng({ size: SEED_SIZE, seed: seed + i, scratch: label === 'ng' }), { filename: `s${i}.png`, contentType: 'image/png' });
    req = req.field('metas', JSON.stringify({ mm_per_px: 0.2, shape_json: circleShape(SEED_SIZE) }));
  }
  return req;
}

export function fitRequest(target: Target, opts: { memoryFit?: boolean; role?: string; roi?: string; recipe?: string } = {}): request.Test {
  return request(target)
    .post('/fit_ok')
    .field('recipe_id', opts.recipe ?? SEED_RECIPE)
    .field('role_id', opts.role ?? SEED_ROLE)
    .field('roi_id', opts.roi ?? SEED_ROI)
    .field('mm_per_px', '0.2')
    .field('memory_fit', opts.memoryFit ? 'true' : 'false')
    .field('use_dataset', 'true');
}

export function inferRequest(target: Target, png: Buffer, extra: Record<string, string> = {}): request.Test {
  let req = request(target)
    .post('/infer')
    .field('recipe_id', SEED_RECIPE)
    .field('role_id', SEED_ROLE)
    .field('roi_id', SEED_ROI)
    .field('mm_per_px', '0.2')
    .field('shape', extra.shape ?? circleShape(SEED_SIZE));
  for (const [k, v] of Object.entries(extra)) if (k !== 'shape') req = req.field(k, v);
  return req.attach('image', png, { filename: 'roi.png', contentType: 'image/png' });
}

/** Uploads `okCount` OK samples, fits (10 % coreset) and stores a calibration with threshold 1.5. */
export async function seedFittedModel(target: Target, modelsDir: string, okCount = 4): Promise<SeededModel> {
  const up = await uploadSamples(target, 'ok', okCount, 1000);
  if (up.status !== 200) throw new Error(`seed upload failed: ${up.status} ${up.text}`);
  const fit = await fitRequest(target);
  if (fit.status !== 200) throw new Error(`seed fit failed: ${fit.status} ${fit.text}`);
  const calib = await request(target)
    .post('/calibrate_ng')
    .send({ recipe_id: SEED_RECIPE, role_id: SEED_ROLE, roi_id: SEED_ROI, mm_per_px: 0.2, ok_scores: [1, 1.2, 1.1], ng_scores: [3, 4] });
  if (calib.status !== 200) throw new Error(`seed calibration failed: ${calib.status} ${calib.text}`);
  const dir = path.join(modelsDir, 'recipes', SEED_RECIPE, SEED_ROI);
  const base = baseName(SEED_ROLE, SEED_ROI);
  const files = { memory: path.join(dir, `${base}.npz`), index: path.join(dir, `${base}_index.faiss`), calib: path.join(dir, `${base}_calib.json`) };
  for (const f of Object.values(files)) if (!fs.existsSync(f)) throw new Error(`seed did not write ${f}`);
  return { recipe: SEED_RECIPE, role: SEED_ROLE, roi: SEED_ROI, files };
}

/** Every regular file under `dir` (relative path → sha-free byte content), skipping names matched by `skip`. */
export function snapshotFiles(dir: string, skip: (relative: string) => boolean = () => false): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const rel = path.relative(dir, full);
      if (skip(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.set(rel, fs.readFileSync(full));
    }
  };
  walk(dir);
  return out;
}
