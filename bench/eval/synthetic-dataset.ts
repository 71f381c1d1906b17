// A small generated dataset in the MVTec AD or MVTec 3D-AD (RGB) layout: textured discs, some with a
// drawn scratch or spot and its mask. Exercises the loaders and the pipeline end to end where no real
// MVTec data is available; its numbers say nothing about real-world quality.
// Usage: node dist/bench/eval/synthetic-dataset.js --out <dir> --layout mvtec|mvtec3d [--size 128] [--seed 1]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createPrng } from '../../src/engine/seeded-prng';

export interface SyntheticOptions {
  out: string;
  layout: 'mvtec' | 'mvtec3d';
  size: number;
  seed: number;
  train: number;
  testGood: number;
  testPerDefect: number;
}

type Defect = 'good' | 'scratch' | 'spot';

/** Grey disc with radial grooves and noise; returns RGB pixels and the defect mask. */
function drawSample(size: number, defect: Defect, random: () => number): { rgb: Buffer; mask: Buffer } {
  const rgb = Buffer.alloc(size * size * 3);
  const mask = Buffer.alloc(size * size);
  const c = size / 2;
  const phase = random() * Math.PI * 2;
  const sx = c * (0.3 + 0.4 * random());
  const sy = c * (0.3 + 0.4 * random());
  const angle = random() * Math.PI;
  const length = size * (0.15 + 0.15 * random());
  const spotX = c + (random() - 0.5) * c;
  const spotY = c + (random() - 0.5) * c;
  const spotR = size * (0.03 + 0.03 * random());
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - c, y - c);
      const theta = Math.atan2(y - c, x - c);
      let v = r < c * 0.95 && r > c * 0.25 ? 140 + 20 * Math.sin(theta * 24 + phase) + 25 * (random() - 0.5) : 40 + 10 * random();
      let defective = false;
      if (defect === 'scratch') {
        // Distance to a segment through (sx, sy) at `angle`.
        const dx = x - sx;
        const dy = y - sy;
        const along = dx * Math.cos(angle) + dy * Math.sin(angle);
        const across = Math.abs(-dx * Math.sin(angle) + dy * Math.cos(angle));
        defective = along >= 0 && along <= length && across <= 1.2;
        if (defective) v = 230;
      } else if (defect === 'spot') {
        defective = Math.hypot(x - spotX, y - spotY) <= spotR;
        if (defective) v = 60;
      }
      const p = (y * size + x) * 3;
      rgb[p] = rgb[p + 1] = rgb[p + 2] = Math.max(0, Math.min(255, Math.round(v)));
      mask[y * size + x] = defective ? 255 : 0;
    }
  }
  return { rgb, mask };
}

async function writePng(path: string, data: Buffer, size: number, channels: 1 | 3): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await sharp(data, { raw: { width: size, height: size, channels } }).png().toFile(path);
}

export async function writeSyntheticDataset(o: SyntheticOptions): Promise<void> {
  const random = createPrng(o.seed).next;
  const name = (i: number): string => `${String(i).padStart(3, '0')}.png`;
  const imagePath = (split: string, type: string, i: number): string =>
    o.layout === 'mvtec' ? join(o.out, split, type, name(i)) : join(o.out, split, type, 'rgb', name(i));
  const maskPath = (type: string, i: number): string =>
    o.layout === 'mvtec' ? join(o.out, 'ground_truth', type, `${String(i).padStart(3, '0')}_mask.png`) : join(o.out, 'test', type, 'gt', name(i));
  for (let i = 0; i < o.train; i++) await writePng(imagePath('train', 'good', i), drawSample(o.size, 'good', random).rgb, o.size, 3);
  const plan: Array<[Defect, number]> = [['good', o.testGood], ['scratch', o.testPerDefect], ['spot', o.testPerDefect]];
  for (const [type, count] of plan) {
    for (let i = 0; i < count; i++) {
      const { rgb, mask } = drawSample(o.size, type, random);
      await writePng(imagePath('test', type, i), rgb, o.size, 3);
      // MVTec AD has no masks for good images; MVTec 3D-AD has empty ones.
      if (type !== 'good' || o.layout === 'mvtec3d') await writePng(maskPath(type, i), mask, o.size, 1);
    }
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, layout: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' } },
  });
  if (!values.out || (values.layout !== 'mvtec' && values.layout !== 'mvtec3d')) {
    process.stderr.write('usage: synthetic-dataset --out <dir> --layout mvtec|mvtec3d [--size 128] [--seed 1]\n');
    process.exit(2);
  }
  writeSyntheticDataset({
    out: values.out,
    layout: values.layout,
    size: Number(values.size ?? 128),
    seed: Number(values.seed ?? 1),
    train: 40,
    testGood: 20,
    testPerDefect: 15,
  }).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
