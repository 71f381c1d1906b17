import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { overlayDataUrl } from './heatmap-overlay';

async function decode(dataUrl: string): Promise<{ data: Buffer; width: number; height: number }> {
  const png = Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('overlayDataUrl', () => {
  let dir: string;
  let grey: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eval-overlay-'));
    grey = join(dir, 'grey.png');
    // A uniform grey 4×4 single-channel image, like the MTD JPEGs.
    await sharp(Buffer.alloc(16, 100), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(grey);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves pixels at the bottom of the scale untouched and paints the top of the scale red', async () => {
    const map = new Float32Array(16);
    map[5] = 1; // (1, 1) at the top of the scale
    const url = await overlayDataUrl({ imagePath: grey, map, width: 4, height: 4, lo: 0, hi: 1, mask: null, maxSide: 256 });
    const { data, width, height } = await decode(url);
    expect([width, height]).toEqual([4, 4]);
    expect([...data.subarray(0, 3)]).toEqual([100, 100, 100]);
    // 60 % red (255, 0, 0) over grey 100 → (193, 40, 40)
    expect([...data.subarray(15, 18)]).toEqual([193, 40, 40]);
  });

  it('outlines the ground-truth mask in green', async () => {
    const mask = new Uint8Array(16);
    mask[0] = 255;
    const url = await overlayDataUrl({ imagePath: grey, map: new Float32Array(16), width: 4, height: 4, lo: 0, hi: 1, mask, maxSide: 256 });
    const { data } = await decode(url);
    expect([...data.subarray(0, 3)]).toEqual([0, 255, 0]);
    expect([...data.subarray(3, 6)]).toEqual([100, 100, 100]);
  });
});
