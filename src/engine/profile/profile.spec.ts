import { aspectInputSize } from './input-sizing';
import { baselineProfile, defaultFitProfile, describeProfile, parseDetectorProfile, profileFromMetadata } from './detector-profile';
import { blockNorms, normaliseFeatures } from './feature-normalisation';
import { featureView } from './feature-view';
import { contentBlockNorms, noiseFloorsOf } from './noise-floors';
import { appendPosition } from './position-features';

describe('feature normalisation', () => {
  it('scales each block by weight / sqrt(|x|² + floor²) and optionally unit-normalises the row', () => {
    // One row, blocks [2, 1]: (3, 4) has norm 5, (1) norm 1.
    const rows = Float32Array.of(3, 4, 1);
    normaliseFeatures(rows, 3, [2, 1], { weights: [2, 0.5], floors: [0, Math.sqrt(3)], unitNorm: false });
    expect(Array.from(rows).map((v) => Number(v.toFixed(6)))).toEqual([1.2, 1.6, 0.25]);
    const unit = normaliseFeatures(Float32Array.of(3, 4, 1), 3, [2, 1], { weights: [2, 0.5], floors: [0, Math.sqrt(3)], unitNorm: true });
    expect(Math.hypot(...unit)).toBeCloseTo(1, 6);
    expect(unit[0] / unit[2]).toBeCloseTo(1.2 / 0.25, 5);
  });

  it('keeps a weak (noise-only) block near the origin with a floor, where a plain L2 norm blows it up to unit length', () => {
    const noise = Float32Array.of(0.003, -0.004);
    const floored = normaliseFeatures(noise.slice(), 2, [2], { weights: [1], floors: [0.1], unitNorm: false });
    const plain = normaliseFeatures(noise.slice(), 2, [2], { weights: [1], floors: [0], unitNorm: true });
    expect(Math.hypot(...floored)).toBeCloseTo(0.005 / Math.sqrt(0.005 ** 2 + 0.01), 6);
    expect(Math.hypot(...plain)).toBeCloseTo(1, 5);
  });

  it('measures block norms per row', () => {
    expect(Array.from(blockNorms(Float32Array.of(3, 4, 1, 0, 0, 2), 3, [2, 1]))).toEqual([5, 1, 0, 2]);
  });
});

describe('feature view', () => {
  it('normalises a copy (or in place) and appends the position channels after the features', () => {
    const raw = { features: Float32Array.of(3, 4, 0, 2), gridH: 1, gridW: 2, dim: 2 };
    const view = featureView(raw, [2], { weights: [1], floors: [0], unitNorm: false }, 1, true);
    expect(view.dim).toBe(4);
    expect(Array.from(view.features).map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.8, -0.5, 0, 0, 1, 0.5, 0]);
    expect(Array.from(raw.features)).toEqual([3, 4, 0, 2]);
    const inPlace = featureView(raw, [2], { weights: [2], floors: [0], unitNorm: false }, undefined, false);
    expect(inPlace.features).toBe(raw.features);
    expect(Array.from(raw.features).map((v) => Number(v.toFixed(6)))).toEqual([1.2, 1.6, 0, 2]);
  });
});

describe('noise floors', () => {
  it('are the multiple × the 10th percentile of each block\'s OK patch norms (linear interpolation)', () => {
    // Two blocks, 11 rows over two chunks: block 0 norms 0..10, block 1 norms 10× that.
    const norms = (from: number, to: number): Float32Array => Float32Array.from({ length: (to - from) * 2 }, (_, i) => (from + (i >> 1)) * (i % 2 ? 10 : 1));
    expect(noiseFloorsOf([norms(0, 6), norms(6, 11)], 2, 4).map((v) => Number(v.toFixed(6)))).toEqual([4, 40]);
  });
});

describe('content block norms', () => {
  it("leave letterbox padding out: only the cells that hold the crop count towards the noise level", () => {
    // 2×4 grid of 8-px cells, the crop centred in the middle two columns; one 1-channel block, cell value = its index.
    const box = { inputWidth: 32, inputHeight: 16, contentWidth: 16, contentHeight: 16, offsetX: 8, offsetY: 0, sourceWidth: 16, sourceHeight: 16 };
    const features = Float32Array.from({ length: 8 }, (_, i) => i);
    expect(Array.from(contentBlockNorms(features, 2, 4, [1], box))).toEqual([1, 2, 5, 6]);
    const full = { ...box, inputWidth: 16, offsetX: 0 };
    expect(Array.from(contentBlockNorms(features.subarray(0, 4), 2, 2, [1], full))).toEqual([0, 1, 2, 3]);
  });
});

describe('input sizing', () => {
  it('keeps the aspect ratio at about side² pixels, each axis a multiple of the stride', () => {
    expect(aspectInputSize(600, 250, 224, 8)).toEqual({ width: 344, height: 144 });
    expect(aspectInputSize(300, 300, 224, 8)).toEqual({ width: 224, height: 224 });
    expect(aspectInputSize(2000, 10, 224, 8)).toEqual({ width: 3168, height: 16 });
  });
});

describe('position features', () => {
  it('appends the cell centre in [-weight, weight] after the features', () => {
    const out = appendPosition(Float32Array.of(1, 2, 3, 4), 1, 2, 2, 2);
    expect(Array.from(out)).toEqual([1, 2, -1, 0, 3, 4, 1, 0]);
  });
});

describe('detector profile', () => {
  const valid = { input: { mode: 'aspect', side: 224 }, features: { weights: [0.1, 1], floors: [0.05, 0], unitNorm: false }, position: 1, score: { kind: 'top-mean', fraction: 0.01 } };

  it('round-trips through model metadata and describes itself in one line', () => {
    const profile = profileFromMetadata({ detector_profile: JSON.parse(JSON.stringify(valid)) }, 2);
    expect(profile).toEqual(valid);
    expect(describeProfile(profile!)).toBe('aspect 224 · weights 0.1/1 · floors 0.05/0 · position 1 · top-mean 1%');
    expect(profileFromMetadata({ coreset_rate: 0.1 }, 2)).toBeNull();
  });

  it('refuses a profile that does not fit the backbone or is malformed', () => {
    expect(() => parseDetectorProfile(valid, 3)).toThrow(/3 non-negative numbers/);
    expect(() => parseDetectorProfile({ ...valid, input: { mode: 'zoom' } }, 2)).toThrow(/input must be/);
    expect(() => parseDetectorProfile({ ...valid, features: { ...valid.features, weights: [0, 0] } }, 2)).toThrow(/at least one feature weight/);
    expect(() => parseDetectorProfile({ ...valid, score: { kind: 'top-mean', fraction: 2 } }, 2)).toThrow(/score must be/);
    expect(() => parseDetectorProfile({ ...valid, smoothing: { map: 1 } }, 2)).toThrow(/smoothing must be/);
    expect(() => parseDetectorProfile({ ...valid, smoothing: { map: -1, score: 4 } }, 2)).toThrow(/smoothing must be/);
    expect(() => parseDetectorProfile({ ...valid, smoothing: { map: 1, score: 9 } }, 2)).toThrow(/smoothing must be/);
  });

  it('keeps the map smoothing, and a profile without one (fitted before it existed) smooths nothing', () => {
    const smoothed = parseDetectorProfile({ ...valid, smoothing: { map: 1, score: 4 } }, 2);
    expect(smoothed.smoothing).toEqual({ map: 1, score: 4 });
    expect(describeProfile(smoothed)).toBe('aspect 224 · weights 0.1/1 · floors 0.05/0 · position 1 · top-mean 1% · smoothing σ 1/4');
    expect(parseDetectorProfile(valid, 2).smoothing).toBeUndefined();
  });

  it('fits with aspect sizing, position and map smoothing by default', () => {
    const profile = defaultFitProfile(baselineProfile(undefined, 2), { resizable: true, inputWidth: 224, inputHeight: 224 });
    expect(profile).toEqual({
      input: { mode: 'aspect', side: 224 },
      features: { weights: [1, 1], floors: [0, 0], unitNorm: true },
      position: 1,
      smoothing: { map: 1, score: 1 },
      // The map's own view: energy-aware, floors learned by the fit at 4× the OK rows' noise level.
      mapView: { features: { weights: [1, 1], floors: [0, 0], unitNorm: false }, noiseMultiple: 4, blend: 0.5 },
      // Wide-window texture for large defects: 15×15 patches every 2, gain 0.8; the fit measures scale and level.
      contextView: { window: 15, stride: 2, gain: 0.8 },
    });
  });

  it('keeps a context view, describes it, and refuses a malformed one', () => {
    const contextView = { window: 15, stride: 2, gain: 0.8 };
    const profile = parseDetectorProfile({ ...valid, contextView: { ...contextView, scale: 1.5, level: 0.25 } }, 2);
    expect(profile.contextView).toEqual({ ...contextView, scale: 1.5, level: 0.25 });
    expect(describeProfile(profile)).toBe('aspect 224 · weights 0.1/1 · floors 0.05/0 · position 1 · top-mean 1% · context 15×15 step 2, gain 0.8, scale 1.5, level 0.25');
    expect(parseDetectorProfile(valid, 2).contextView).toBeUndefined();
    for (const bad of [{ ...contextView, window: 14 }, { ...contextView, window: 65 }, { ...contextView, stride: 0 }, { ...contextView, stride: 17 }, { ...contextView, gain: 5 }, { window: 15 }, null]) {
      expect(() => parseDetectorProfile({ ...valid, contextView: bad }, 2)).toThrow(/contextView must be \{window: odd 1\.\.63, stride: 1\.\.window, gain: 0\.\.4/);
    }
    expect(() => parseDetectorProfile({ ...valid, contextView: { ...contextView, scale: -1 } }, 2)).toThrow(/contextView\.scale must be a positive number/);
    expect(() => parseDetectorProfile({ ...valid, contextView: { ...contextView, level: -1 } }, 2)).toThrow(/contextView\.level must be a non-negative number/);
  });

  it('keeps a map view, describes it, and refuses a malformed one', () => {
    const mapView = { features: { weights: [0.1, 1], floors: [0.2, 0.3], unitNorm: false }, noiseMultiple: 4 };
    const profile = parseDetectorProfile({ ...valid, mapView }, 2);
    expect(profile.mapView).toEqual(mapView);
    expect(describeProfile(profile)).toBe(
      'aspect 224 · weights 0.1/1 · floors 0.05/0 · position 1 · top-mean 1% · map view energy-aware, weights 0.1/1, floors ×4 noise',
    );
    expect(describeProfile({ ...profile, mapView: { ...mapView, noiseMultiple: 0 } })).toMatch(/map view energy-aware, weights 0\.1\/1, floors 0\.2\/0\.3$/);
    const fitted = parseDetectorProfile({ ...valid, mapView: { ...mapView, scale: 1.25, blend: 0.5 } }, 2);
    expect(fitted.mapView).toEqual({ ...mapView, scale: 1.25, blend: 0.5 });
    expect(describeProfile(fitted)).toMatch(/floors ×4 noise, scale 1\.25, blend 0\.5$/);
    expect(() => parseDetectorProfile({ ...valid, mapView: { ...mapView, scale: 0 } }, 2)).toThrow(/mapView\.scale must be/);
    expect(() => parseDetectorProfile({ ...valid, mapView: { ...mapView, blend: 1.5 } }, 2)).toThrow(/mapView\.blend must be/);
    expect(() => parseDetectorProfile({ ...valid, mapView: { ...mapView, features: { ...mapView.features, floors: [1] } } }, 2)).toThrow(
      /mapView\.features\.floors must be 2 non-negative numbers/,
    );
    expect(() => parseDetectorProfile({ ...valid, mapView: { ...mapView, noiseMultiple: -1 } }, 2)).toThrow(/noiseMultiple must be/);
    expect(() => parseDetectorProfile({ ...valid, mapView: { noiseMultiple: 4 } }, 2)).toThrow(/mapView must be/);
    expect(() => parseDetectorProfile({ ...valid, mapView: { ...mapView, features: { ...mapView.features, weights: [0, 0] } } }, 2)).toThrow(
      /at least one mapView\.features\.weight/,
    );
  });

  it("uses the backbone's own normalisation as the baseline, else weight 1, no floor and a whole-row unit norm", () => {
    expect(baselineProfile(undefined, 2)).toEqual({ input: { mode: 'letterbox' }, features: { weights: [1, 1], floors: [0, 0], unitNorm: true } });
    expect(baselineProfile({ weights: [0.1, 1], floors: [0.06, 0.04], unitNorm: true }, 2).features.weights).toEqual([0.1, 1]);
  });
});
