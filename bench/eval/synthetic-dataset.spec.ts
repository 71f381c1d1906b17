import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from './datasets';
import { writeSyntheticDataset } from './synthetic-dataset';

describe('writeSyntheticDataset', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'eval-synth-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each(['mvtec', 'mvtec3d'] as const)('writes a %s layout that the loader reads with masks', async (layout) => {
    await writeSyntheticDataset({ out: root, layout, size: 32, seed: 3, train: 3, testGood: 2, testPerDefect: 2 });
    const ds = loadDataset(root, layout);
    expect(ds.train).toHaveLength(3);
    expect(ds.test.map((s) => s.defectType)).toEqual(['good', 'good', 'scratch', 'scratch', 'spot', 'spot']);
    expect(ds.hasMasks).toBe(true);
  });

  it('marks defect pixels in the mask', async () => {
    await writeSyntheticDataset({ out: root, layout: 'mvtec', size: 32, seed: 3, train: 1, testGood: 0, testPerDefect: 1 });
    const ds = loadDataset(root, 'mvtec');
    for (const sample of ds.test) {
      const { data } = await sharp(sample.maskPath as string).greyscale().raw().toBuffer({ resolveWithObject: true });
      expect(data.some((v) => v > 0)).toBe(true);
    }
  });
});
