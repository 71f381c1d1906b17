import sharp from 'sharp';
import { anomalyHeatmapPng, anomalyScore, buildAnomalyMap } from './anomaly-map';
import * as zlib from 'node:zlib';
import { crc32Table, encodeGrayPng, heatToGrayOnScale, heatmapScaleOf, heatmapToGray } from './heatmap-png';
import { letterboxGeometry } from './letterbox';
import { PercentileSelector } from './percentile';

describe('heatmapToGray', () => {
  it('stretches between the 1st and 99th percentile, rounds half up, zeroes outside the mask', () => {
    const heat = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const mask = new Uint8Array(10).fill(255);
    mask[9] = 0;
    const valid = new PercentileSelector(Float32Array.from([9, 1, 8, 2, 7, 3, 6, 4, 5]));
    const gray = heatmapToGray(heat, mask, valid);
    // mn = 1.08, mx = 8.92 → v = (x - 1.08) / 7.84
    expect(Array.from(gray)).toEqual([0, 30, 62, 95, 128, 160, 193, 225, 255, 0]); // numpy's output
  });

  it('is all zero when the in-mask values are flat', () => {
    expect(Array.from(heatmapToGray(new Float32Array(4).fill(2), new Uint8Array(4).fill(255), new PercentileSelector(new Float32Array(4).fill(2))))).toEqual([0, 0, 0, 0]);
  });
});

describe('heatmap scales', () => {
  const valid = () => new PercentileSelector(Float32Array.from([9, 1, 8, 2, 7, 3, 6, 4, 5]));

  it("'image' spans the map's own 1st..99th percentile", () => {
    const scale = heatmapScaleOf(valid(), 'image', 4);
    expect(scale.mode).toBe('image');
    expect(scale.min).toBeCloseTo(1.08, 12);
    expect(scale.max).toBeCloseTo(8.92, 12);
  });

  it("'absolute' spans 0 .. twice the threshold, whatever the map holds", () => {
    expect(heatmapScaleOf(valid(), 'absolute', 4)).toEqual({ mode: 'absolute', min: 0, max: 8 });
    expect(heatmapScaleOf(new PercentileSelector(new Float32Array(0)), 'absolute', 0.25)).toEqual({ mode: 'absolute', min: 0, max: 0.5 });
  });

  it("'absolute' without a usable threshold falls back to 'image' and says so", () => {
    for (const threshold of [null, undefined, 0, -1, NaN]) expect(heatmapScaleOf(valid(), 'absolute', threshold).mode).toBe('image');
  });

  it('on the absolute scale the threshold is gray 128, 0 is 0, twice the threshold and more 255; maps compare across images', () => {
    const mask = new Uint8Array(6).fill(255);
    const scale = heatmapScaleOf(valid(), 'absolute', 0.25);
    const clean = heatToGrayOnScale(Float32Array.from([0, 0.05, 0.1, 0.15, 0.2, 0.24]), mask, scale);
    const defect = heatToGrayOnScale(Float32Array.from([0.1, 0.2, 0.25, 0.375, 0.5, 0.9]), mask, scale);
    expect(Array.from(clean)).toEqual([0, 26, 51, 77, 102, 122]);
    expect(Array.from(defect)).toEqual([51, 102, 128, 191, 255, 255]);
    // The same distances stretched per image: the clean map reaches full heat too.
    const cleanStretched = heatmapToGray(Float32Array.from([0, 0.05, 0.1, 0.15, 0.2, 0.24]), mask, new PercentileSelector(Float32Array.from([0, 0.05, 0.1, 0.15, 0.2, 0.24])));
    expect(Math.max(...cleanStretched)).toBe(255);
  });
});

describe('heatmap PNG', () => {
  it('is an 8-bit single-channel PNG the size of the crop', async () => {
    const png = await encodeGrayPng(Uint8Array.from([0, 50, 100, 150, 200, 250]), 3, 2);
    // IHDR: bit depth 8, colour type 0 (greyscale)
    expect(png[24]).toBe(8);
    expect(png[25]).toBe(0);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([3, 2, 1]);
    const { data } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual([0, 50, 100, 150, 200, 250]);
  });

  it('keeps every pixel of a large map (filtered rows, own deflate and CRCs)', async () => {
    const [w, h] = [301, 177];
    const gray = new Uint8Array(w * h).map((_, i) => (i % w < 150 ? (i * 2654435761) >>> 24 : Math.round(128 + 100 * Math.sin(i / 500))));
    const png = await encodeGrayPng(gray, w, h);
    const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([w, h, 1]);
    expect(Buffer.compare(data, Buffer.from(gray))).toBe(0);
    const bytes = Uint8Array.from(png.subarray(0, 1000));
    expect(crc32Table(bytes)).toBe((zlib as unknown as { crc32(b: Uint8Array): number }).crc32(bytes));
  });

  it('comes from the anomaly map of a non-square crop at the crop size', async () => {
    const distances = new Float32Array(16).map((_, i) => i / 16);
    const map = buildAnomalyMap({ distances, gridH: 4, gridW: 4, letterbox: letterboxGeometry(30, 12, 56, 56) });
    expect([map.width, map.height]).toEqual([30, 12]);
    const meta = await sharp(await anomalyHeatmapPng(map)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([30, 12, 1]);
  });
});

describe('anomalyScore', () => {
  it('is the percentile of in-mask values and 0 for an empty mask', () => {
    const distances = new Float32Array(4).fill(0.25);
    const box = letterboxGeometry(8, 8, 28, 28);
    expect(anomalyScore(buildAnomalyMap({ distances, gridH: 2, gridW: 2, letterbox: box }), { kind: 'percentile', value: 99 })).toBeCloseTo(0.25, 6);
    const empty = buildAnomalyMap({ distances, gridH: 2, gridW: 2, letterbox: box, shape: { kind: 'rect', x: 0, y: 0, w: 0, h: 0 } });
    expect(anomalyScore(empty, { kind: 'percentile', value: 99 })).toBe(0);
  });
});
