// The fit-time tuner on generated crops through the real engine (built-in backbone, ONNX Runtime, FAISS).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDefaultBackbone } from '../backbone/default-backbone';
import { writeBackbone } from '../backbone/testing/tiny-vit';
import { describeProfile } from '../profile/detector-profile';
import { createPrng } from '../seeded-prng';
import { WorkerContext } from '../worker-context';
import { MIN_GAIN, MIN_TUNING_IMAGES, tuneProfile } from './tune-profile';

/** A 144×96 ringed part on a dark background with sensor noise (not square: exercises 'aspect' sizing). */
async function crop(seed: number): Promise<Uint8Array> {
  const rng = createPrng(seed);
  const [w, h] = [144, 96];
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - 72, y - 48);
      const v = (r < 40 ? 130 + 40 * Math.sin(r * 0.7) : 20) + rng.normal() * 3;
      data.fill(Math.max(0, Math.min(255, Math.round(v))), (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return new Uint8Array(await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
}

describe('tuneProfile', () => {
  const { model, manifest } = buildDefaultBackbone();
  const backbone = writeBackbone(mkdtempSync(join(tmpdir(), 'tune-')), model, manifest);
  const ctx = new WorkerContext({ manifestPath: backbone.manifestPath, device: 'cpu', requireCuda: false, intraOpThreads: 1, cacheMaxEntries: 2, limitInputPixels: 1e8 });
  let images: Uint8Array[];

  beforeAll(async () => {
    images = await Promise.all(Array.from({ length: 8 }, (_, i) => crop(10 + i)));
  });
  afterAll(async () => (await ctx.getBackbone()).release());

  it('measures every candidate on synthetic defects, never chooses worse than the baseline, and is deterministic for a seed', async () => {
    const baseline = await ctx.baselineProfile();
    const options = { seed: 7, memoryRows: 1024 };
    const a = await tuneProfile(images, baseline, ctx, options);
    const b = await tuneProfile(images, baseline, ctx, options);
    expect(b.profile).toEqual(a.profile);
    expect(b.report.candidates).toEqual(a.report.candidates.map((c) => expect.objectContaining({ profile: c.profile, objective: c.objective })));
    const { report } = a;
    expect(report).toMatchObject({ tuned: true, heldOutImages: 2, syntheticDefects: 4, memoryImages: 6 });
    expect(report.candidates.length).toBeGreaterThan(8);
    // The incumbent only ever improves and a candidate replaces it only when better by more than the gain it
    // required (at least MIN_GAIN), so no candidate, the baseline included, beats the choice by more than that.
    const [prior, ...challengers] = report.candidates.filter((c) => c !== report.baseline);
    expect(prior.requiredGain).toBeUndefined();
    for (const c of [report.baseline!, ...challengers]) {
      expect(c.requiredGain).toBeGreaterThanOrEqual(MIN_GAIN);
      expect(c.objective).toBeLessThanOrEqual(report.chosen!.objective + c.requiredGain!);
    }
    // The tuner rates the score view; the map view follows its block weights (floors are the fit's to learn); the
    // context view is carried as the prior has it.
    const { mapView, contextView, ...rated } = a.profile;
    expect(contextView).toEqual({ window: 15, stride: 2, gain: 0.8 });
    expect(report.chosen!.profile).toBe(describeProfile(rated));
    expect(mapView).toMatchObject({ features: { weights: a.profile.features.weights, floors: [0, 0, 0], unitNorm: false }, noiseMultiple: 4 });
    // Its blend: the default 0.5 unless another rated at least MIN_GAIN higher on the held-out cells.
    expect(report.mapBlends?.map((b) => b.blend)).toEqual([0.5, 1]);
    const chosenBlend = report.mapBlends!.find((b) => b.blend === mapView!.blend)!;
    for (const b of report.mapBlends!) expect(b.cellAuroc).toBeLessThanOrEqual(chosenBlend.cellAuroc + MIN_GAIN);
    for (const c of report.candidates) {
      expect(c.objective).toBeCloseTo((c.imageAuroc + c.cellAuroc) / 2, 12);
      expect(c.cellAuroc).toBeGreaterThanOrEqual(0);
      expect(c.cellAuroc).toBeLessThanOrEqual(1);
    }
  }, 180_000);

  it('keeps the default fit profile, saying why, with too few decodable images', async () => {
    const baseline = await ctx.baselineProfile();
    const few = [...images.slice(0, MIN_TUNING_IMAGES - 1), new Uint8Array([1, 2, 3])];
    const { profile, report } = await tuneProfile(few, baseline, ctx, { seed: 7 });
    expect(profile).toEqual(await ctx.defaultFitProfile());
    expect(profile).toEqual({
      input: { mode: 'aspect', side: 224 },
      features: baseline.features,
      position: 1,
      smoothing: { map: 1, score: 1 },
      mapView: { features: { weights: baseline.features.weights, floors: [0, 0, 0], unitNorm: false }, noiseMultiple: 4, blend: 0.5 },
      contextView: { window: 15, stride: 2, gain: 0.8 },
    });
    expect(report).toMatchObject({ tuned: false, reason: `${MIN_TUNING_IMAGES - 1} decodable OK images; tuning needs at least ${MIN_TUNING_IMAGES}` });
  });

  it('leaves crops too small for a synthetic defect out of tuning instead of failing the fit', async () => {
    const baseline = await ctx.baselineProfile();
    const tiny = await sharp({ create: { width: 6, height: 40, channels: 3, background: '#808080' } }).png().toBuffer();
    const mixed = [...images.slice(0, MIN_TUNING_IMAGES - 1), ...Array.from({ length: 3 }, () => new Uint8Array(tiny))];
    const { profile, report } = await tuneProfile(mixed, baseline, ctx, { seed: 7 });
    expect(profile).toEqual(await ctx.defaultFitProfile());
    expect(report).toMatchObject({
      tuned: false,
      reason: `${MIN_TUNING_IMAGES - 1} decodable OK images (3 under 8×8 px left out); tuning needs at least ${MIN_TUNING_IMAGES}`,
    });
  });
});
