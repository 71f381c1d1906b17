import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { EvalDataset } from './datasets';
import { EvalEngine, ScoredImage } from './eval-engine';
import { evaluate } from './evaluate';

// Fake engine: each image's 2×2 map is given by its path; answers arrive in reverse order of submission
// (later images resolve first) to prove results are consumed in test-set order.
function fakeEngine(maps: Record<string, number[]>): EvalEngine & { fitted: string[] } {
  let calls = 0;
  return {
    backboneName: 'fake',
    concurrency: 2,
    fitted: [],
    async fit(train: string[]) {
      this.fitted = train;
    },
    async score(path: string): Promise<ScoredImage> {
      const delay = 20 - 5 * (calls++ % 4);
      await new Promise((r) => setTimeout(r, delay));
      const map = Float32Array.from(maps[path]);
      return { score: Math.max(...map), map, width: 2, height: 2 };
    },
    async close() {},
  };
}

describe('evaluate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eval-run-'));
    // Defect in the top-left pixel of d1 and the bottom-right pixel of d2.
    await sharp(Buffer.from([255, 0, 0, 0]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(join(dir, 'd1.png'));
    await sharp(Buffer.from([0, 0, 0, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(join(dir, 'd2.png'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const dataset = (hasMasks: boolean): EvalDataset => ({
    layout: 'mvtec',
    root: dir,
    train: ['t1', 't2'],
    hasMasks,
    test: [
      { imagePath: 'g1', label: 0, defectType: 'good', maskPath: null },
      { imagePath: 'd1', label: 1, defectType: 'scratch', maskPath: join(dir, 'd1.png') },
      { imagePath: 'g2', label: 0, defectType: 'good', maskPath: null },
      { imagePath: 'd2', label: 1, defectType: 'dent', maskPath: join(dir, 'd2.png') },
    ],
  });
  const maps = {
    g1: [0.1, 0.2, 0.3, 0.4],
    d1: [0.9, 0.1, 0.1, 0.1],
    g2: [0.5, 0.1, 0.1, 0.1],
    d2: [0.1, 0.1, 0.1, 0.45],
  };

  it('fits on the training images and scores the test set in order', async () => {
    const engine = fakeEngine(maps);
    const outcome = await evaluate(dataset(true), engine, () => undefined);
    expect(engine.fitted).toEqual(['t1', 't2']);
    expect(outcome.scores.map((s) => Math.round(s * 100) / 100)).toEqual([0.4, 0.9, 0.5, 0.45]);
    expect(outcome.labels).toEqual([0, 1, 0, 1]);
  });

  it('computes image metrics from the scores', async () => {
    const outcome = await evaluate(dataset(true), fakeEngine(maps), () => undefined);
    // d1 (0.9) beats both good images; d2 (0.45) beats g1 (0.4) only → 3/4
    expect(outcome.imageAuroc).toBe(0.75);
    expect(outcome.perType.map((t) => [t.type, t.auroc])).toEqual([['scratch', 1], ['dent', 0.5]]);
  });

  it('computes pixel metrics from the maps and the decoded masks', async () => {
    const outcome = await evaluate(dataset(true), fakeEngine(maps), () => undefined);
    // 14 good pixels: 0.1 ×10 (one in g1, three in each other map), 0.2, 0.3, 0.4, 0.5.
    // d2's 0.45 beats 13 of them, d1's 0.9 all 14 → 27/28
    expect(outcome.pixel?.pixelAuroc).toBeCloseTo(27 / 28, 6);
    expect(outcome.pixel?.regions).toBe(2);
  });

  it('gives each defect type its own pixel AUROC against every good pixel, and its share of the defect pixels', async () => {
    const outcome = await evaluate(dataset(true), fakeEngine(maps), () => undefined);
    // scratch: d1's 0.9 beats all 14 good pixels; dent: d2's 0.45 beats 13 of 14. One defect pixel each.
    expect(outcome.perType.map((t) => [t.type, t.pixelAuroc, t.pixelShare])).toEqual([
      ['scratch', 1, 0.5],
      ['dent', 13 / 14, 0.5],
    ]);
  });

  it('reports no pixel metrics for a dataset without masks', async () => {
    const outcome = await evaluate(dataset(false), fakeEngine(maps), () => undefined);
    expect(outcome.pixel).toBeNull();
  });
});
