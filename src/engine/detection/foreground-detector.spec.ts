import { detectForeground, FOREGROUND_LABEL, otsuThreshold } from './foreground-detector';
import { rgbImage } from './testing-images';
import { runDetect } from './detect-task';
import { pngBytes } from './testing-images';

const SQUARES = [
  { x: 10, y: 12, width: 30, height: 30, value: 250 },
  { x: 80, y: 20, width: 24, height: 24, value: 180 },
  { x: 40, y: 90, width: 40, height: 20, value: 110 },
];

describe('classical foreground detector', () => {
  it('finds three separate squares with boxes that fit them exactly', () => {
    const objects = detectForeground(rgbImage(160, 128, 20, SQUARES), 0);
    expect(objects).toHaveLength(3);
    const boxes = objects.map(({ x, y, width, height }) => ({ x, y, width, height }));
    for (const s of SQUARES) expect(boxes).toContainEqual({ x: s.x, y: s.y, width: s.width, height: s.height });
    expect(objects.every((o) => o.label === FOREGROUND_LABEL && o.score > 0 && o.score <= 1)).toBe(true);
  });

  it('scores higher contrast higher and sorts by score', () => {
    const objects = detectForeground(rgbImage(160, 128, 20, SQUARES), 0);
    expect(objects.map((o) => o.x)).toEqual([10, 80, 40]);
    expect(objects[0].score).toBeGreaterThan(objects[1].score);
    expect(objects[1].score).toBeGreaterThan(objects[2].score);
  });

  it('drops objects below minScore', () => {
    const all = detectForeground(rgbImage(160, 128, 20, SQUARES), 0);
    const kept = detectForeground(rgbImage(160, 128, 20, SQUARES), all[1].score);
    expect(kept.map((o) => o.x)).toEqual([10, 80]);
  });

  it('returns nothing for a uniform image, bright or dark', () => {
    expect(detectForeground(rgbImage(64, 64, 220), 0)).toEqual([]);
    expect(detectForeground(rgbImage(64, 64, 0), 0)).toEqual([]);
  });

  it('finds dark objects on a bright background too', () => {
    const objects = detectForeground(rgbImage(100, 50, 230, [{ x: 20, y: 10, width: 20, height: 20, value: 30 }]), 0);
    expect(objects).toEqual([expect.objectContaining({ x: 20, y: 10, width: 20, height: 20 })]);
  });

  it('ignores specks smaller than 0.1 % of the image and low-contrast shading', () => {
    const specks = [
      { x: 5, y: 5, width: 2, height: 2, value: 255 },
      { x: 60, y: 60, width: 40, height: 40, value: 26 },
    ];
    expect(detectForeground(rgbImage(200, 200, 20, specks), 0)).toEqual([]);
  });

  it('otsu splits a two-level histogram between the levels', () => {
    const h = new Uint32Array(256);
    h[10] = 100;
    h[200] = 50;
    const t = otsuThreshold(h);
    expect(t).toBeGreaterThanOrEqual(10);
    expect(t).toBeLessThan(200);
  });

  it('runs on encoded PNG bytes and reports the built-in model version', async () => {
    const out = await runDetect({ image: await pngBytes(rgbImage(160, 128, 20, SQUARES)), minScore: 0.35, detectorModel: null });
    expect(out.modelVersion).toBe('bdi-classical-foreground-1');
    expect(out.objects).toHaveLength(3);
  });
});
