// What a fitted model remembers about how to look at its surface: the backbone input sizing, how each feature
// block is weighted and normalised, and the image-score statistic. Chosen per recipe at fit time (tuning/) and
// stored in the memory's npz metadata, so inference applies exactly what the fit measured.
import { InvalidArgumentError } from '../engine-error';

/** 'letterbox': the manifest's fixed input, crop centred on black (the original's). 'aspect': the crop resized
 *  to about side×side pixels keeping its aspect ratio, no padding (backbones with a resizable input only). */
export type InputSizing = { mode: 'letterbox' } | { mode: 'aspect'; side: number };

/**
 * Per feature block (one per backbone output, in manifest order): x·weight / sqrt(|x|² + floor²). floor is an
 * absolute norm: blocks much weaker than it (flat or dark, noise only) shrink towards 0 instead of being blown up
 * to unit length. unitNorm then L2-normalises the whole row (the original's behaviour; off for energy-aware
 * profiles, where a flat patch must stay near the origin).
 */
export interface FeatureNormalisation {
  weights: number[];
  floors: number[];
  unitNorm: boolean;
}

/** 'percentile': numpy percentile of the in-ROI map (the original's, p = 99). 'top-mean': mean of the top
 *  `fraction` of the in-ROI map (AnomalyDINO/RAD-style), steadier than one quantile for small defects. */
export type ScoreStatistic = { kind: 'percentile'; value: number } | { kind: 'top-mean'; fraction: number };

/**
 * Gaussian smoothing of the patch-distance grid, σ in patches (token-smoothing.ts): `map` for the map the heatmap,
 * the regions and the pixel metrics come from; `score` for the map the image score is read from. A single patch's
 * distance is noisy; a defect covering many patches raises all of them, and smoothing adds that evidence up
 * (measured on MTD: docs/quality.md). Absent: no smoothing (the original's).
 */
export interface MapSmoothing {
  map: number;
  score: number;
}

/** The largest σ a profile may ask for, in patches: beyond it one image's map is a single blob. */
export const MAX_SMOOTHING = 8;

/**
 * The feature view the map (heatmap, regions, pixel metrics) is searched in, with its own memory, where it differs
 * from the score's. The image score asks "is anything on this crop unlike the OK crops", and whole-row unit norm
 * answers it best on MTD; the map asks "where", and there a flat or dark patch blown up to unit length is a false
 * alarm. So the map view is energy-aware: no row unit norm, and each block's noise floor learned at fit from the OK
 * rows (`noiseMultiple` × the block's noise level, noise-floors.ts). Same input sizing and position as the score
 * view; blended with the score view's distances. Measured on MTD: pixel AUROC 0.703 → 0.734, AUPRO 0.516 → 0.674 at
 * the same image AUROC (docs/quality.md).
 */
export interface MapView {
  /** The view's normalisation; its floors are the learned ones once fitted. */
  features: FeatureNormalisation;
  /** Floors = multiple × the OK rows' noise level per block, learned by the fit; 0: `features.floors` as given. */
  noiseMultiple: number;
  /** Multiplies the view's distances into the score's units (regions are cut at a threshold in those units);
   *  measured by the fit on OK rows. Absent: 1. */
  scale?: number;
  /** The map is blend × the view's scaled distances + (1 − blend) × the score view's, per patch. Absent: 1. */
  blend?: number;
}

/**
 * The context view (context-view.ts): each patch's score-view row averaged over a `window`×`window` neighbourhood of
 * patches, on a grid `stride` patches apart, with its own memory. A patch row sees ~3 patches of texture; a large
 * defect (MTD's uneven grinding bands, a wrong finish over a third of the part) is made of patches that each look
 * like some OK patch, and only the texture of the wider window is unlike every OK window. Its distances, upsampled
 * to the patch grid, add to the map what they exceed an OK window's level by; the image score does not read them.
 * Added, not blended: a small defect's peak stays where the patch views put it, so a crop the score calls NG still
 * has its regions above the threshold. Measured on MTD: pixel AUROC 0.734 → 0.80 for 0.04 AUPRO (docs/quality.md).
 */
export interface ContextView {
  /** Side of the averaged window, in patches (odd). */
  window: number;
  /** Step of the view's grid, in patches. */
  stride: number;
  /** The map is max(0, map without it + gain × (scale × the view's upsampled distances − level)). A fitted model holds
   *  the gain as the fit applied it (lowered where the scale is large: fit-task.ts MAX_CONTEXT_SCALE). */
  gain: number;
  /** Multiplies the view's distances into the score's units; measured by the fit on OK rows. Absent: 1. */
  scale?: number;
  /** An OK window's distance in the score's units (the median over OK rows), measured by the fit. Absent: 0. */
  level?: number;
}

export interface DetectorProfile {
  input: InputSizing;
  features: FeatureNormalisation;
  /** Absent: the map reads the score view's distances (one memory, as the original). */
  mapView?: MapView;
  /** Absent: no context in the map. */
  contextView?: ContextView;
  /** Weight of the patch's position in the crop as two extra channels (position-features.ts); absent/0: off. */
  position?: number;
  /** Absent: the service's configured percentile (BDI_SCORE_PERCENTILE). */
  score?: ScoreStatistic;
  smoothing?: MapSmoothing;
}

export const PROFILE_METADATA_KEY = 'detector_profile';
/** The fit-time tuning report (tuning/tune-profile.ts TuningReport) beside the profile. */
export const TUNING_METADATA_KEY = 'tuning';

/** Reads a profile from model metadata; null when absent (models fitted before profiles existed). */
export function profileFromMetadata(metadata: Record<string, unknown>, blockCount: number): DetectorProfile | null {
  const raw = metadata[PROFILE_METADATA_KEY];
  if (raw === undefined || raw === null) return null;
  return parseDetectorProfile(raw, blockCount);
}

export function parseDetectorProfile(raw: unknown, blockCount: number): DetectorProfile {
  const fail = (problem: string): never => {
    throw new InvalidArgumentError(`Invalid detector profile: ${problem}`, { profile: raw });
  };
  if (typeof raw !== 'object' || raw === null) return fail('not an object');
  const p = raw as Record<string, unknown>;
  const input = p.input as Record<string, unknown> | undefined;
  let sizing: InputSizing;
  if (input?.mode === 'letterbox') sizing = { mode: 'letterbox' };
  else if (input?.mode === 'aspect' && typeof input.side === 'number' && Number.isInteger(input.side) && input.side >= 16 && input.side <= 4096) {
    sizing = { mode: 'aspect', side: input.side };
  } else return fail('input must be {mode: "letterbox"} or {mode: "aspect", side: 16..4096}');
  const f = p.features as Record<string, unknown> | undefined;
  const numbers = (v: unknown, name: string): number[] => {
    if (!Array.isArray(v) || v.length !== blockCount || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      return fail(`${name.includes('.') ? name : `features.${name}`} must be ${blockCount} non-negative numbers (one per backbone output)`);
    }
    return v as number[];
  };
  if (!f) return fail('features missing');
  const normalisation = (v: Record<string, unknown>, name: string): FeatureNormalisation => {
    const parsed = { weights: numbers(v.weights, `${name}weights`), floors: numbers(v.floors, `${name}floors`), unitNorm: v.unitNorm === true };
    if (!parsed.weights.some((w) => w > 0)) fail(`at least one ${name || 'feature '}weight must be > 0`);
    return parsed;
  };
  const profile: DetectorProfile = { input: sizing, features: normalisation(f, '') };
  if (p.mapView !== undefined) {
    const m = p.mapView as Record<string, unknown> | null;
    const mf = m?.features as Record<string, unknown> | undefined;
    if (typeof m !== 'object' || m === null || typeof mf !== 'object' || mf === null) return fail('mapView must be {features, noiseMultiple}');
    const multiple = m.noiseMultiple;
    if (typeof multiple !== 'number' || !Number.isFinite(multiple) || multiple < 0) fail('mapView.noiseMultiple must be a non-negative number');
    profile.mapView = { features: normalisation(mf, 'mapView.features.'), noiseMultiple: multiple as number };
    if (m.scale !== undefined) {
      if (typeof m.scale !== 'number' || !Number.isFinite(m.scale) || m.scale <= 0) fail('mapView.scale must be a positive number');
      profile.mapView.scale = m.scale as number;
    }
    if (m.blend !== undefined) {
      if (typeof m.blend !== 'number' || !(m.blend >= 0 && m.blend <= 1)) fail('mapView.blend must be in [0, 1]');
      profile.mapView.blend = m.blend as number;
    }
  }
  if (p.contextView !== undefined) profile.contextView = parseContextView(p.contextView, fail);
  if (p.position !== undefined && p.position !== 0) {
    if (typeof p.position !== 'number' || !Number.isFinite(p.position) || p.position < 0) fail('position must be a non-negative number');
    profile.position = p.position as number;
  }
  const s = p.score as Record<string, unknown> | undefined;
  if (s !== undefined) profile.score = parseScoreStatistic(s, fail);
  if (p.smoothing !== undefined) profile.smoothing = parseSmoothing(p.smoothing, fail);
  return profile;
}

/** The widest context window a profile may ask for, in patches. */
const MAX_CONTEXT_WINDOW = 63;

/** The largest context gain a profile may ask for. */
const MAX_CONTEXT_GAIN = 4;

function parseContextView(raw: unknown, fail: (problem: string) => never): ContextView {
  const c = raw as Record<string, unknown> | null;
  const window = c?.window;
  const stride = c?.stride;
  const gain = c?.gain;
  if (
    typeof c !== 'object' || c === null ||
    typeof window !== 'number' || !Number.isInteger(window) || window < 1 || window > MAX_CONTEXT_WINDOW || window % 2 === 0 ||
    typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1 || stride > window ||
    typeof gain !== 'number' || !(gain >= 0 && gain <= MAX_CONTEXT_GAIN)
  ) {
    return fail(`contextView must be {window: odd 1..${MAX_CONTEXT_WINDOW}, stride: 1..window, gain: 0..${MAX_CONTEXT_GAIN}, scale?: > 0, level?: ≥ 0} (window and stride in patches)`);
  }
  const view: ContextView = { window, stride, gain };
  if (c.scale !== undefined) {
    if (typeof c.scale !== 'number' || !Number.isFinite(c.scale) || c.scale <= 0) fail('contextView.scale must be a positive number');
    view.scale = c.scale as number;
  }
  if (c.level !== undefined) {
    if (typeof c.level !== 'number' || !Number.isFinite(c.level) || c.level < 0) fail('contextView.level must be a non-negative number');
    view.level = c.level as number;
  }
  return view;
}

function parseScoreStatistic(s: Record<string, unknown>, fail: (problem: string) => never): ScoreStatistic {
  if (s.kind === 'percentile' && typeof s.value === 'number' && s.value >= 0 && s.value <= 100) return { kind: 'percentile', value: s.value };
  if (s.kind === 'top-mean' && typeof s.fraction === 'number' && s.fraction > 0 && s.fraction <= 1) return { kind: 'top-mean', fraction: s.fraction };
  return fail('score must be {kind: "percentile", value: 0..100} or {kind: "top-mean", fraction: (0, 1]}');
}

function parseSmoothing(raw: unknown, fail: (problem: string) => never): MapSmoothing {
  const sigma = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_SMOOTHING;
  const s = raw as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || !sigma(s.map) || !sigma(s.score)) {
    return fail(`smoothing must be {map: 0..${MAX_SMOOTHING}, score: 0..${MAX_SMOOTHING}} (σ in patches)`);
  }
  return { map: s.map, score: s.score };
}

/** One line for logs, /manifest and reports, e.g. "aspect 320 · weights 0.1/1 · floors 0.06/0.04 · top-mean 1%". */
export function describeProfile(profile: DetectorProfile): string {
  const input = profile.input.mode === 'aspect' ? `aspect ${profile.input.side}` : 'letterbox';
  const num = (x: number): string => String(Number(x.toPrecision(3)));
  const norm = `weights ${profile.features.weights.map(num).join('/')} · floors ${profile.features.floors.map(num).join('/')}` +
    (profile.features.unitNorm ? ' · unit norm' : '');
  const position = profile.position ? ` · position ${num(profile.position)}` : '';
  const s = profile.score;
  const score = !s ? 'configured percentile' : s.kind === 'percentile' ? `p${num(s.value)}` : `top-mean ${num(s.fraction * 100)}%`;
  const smoothing = profile.smoothing ? ` · smoothing σ ${num(profile.smoothing.map)}/${num(profile.smoothing.score)}` : '';
  const v = profile.mapView;
  const mapView = v
    ? ` · map view ${v.features.unitNorm ? 'unit norm' : 'energy-aware'}, weights ${v.features.weights.map(num).join('/')}, ` +
      (v.noiseMultiple > 0 ? `floors ×${num(v.noiseMultiple)} noise` : `floors ${v.features.floors.map(num).join('/')}`) +
      (v.scale !== undefined ? `, scale ${num(v.scale)}` : '') +
      (v.blend !== undefined ? `, blend ${num(v.blend)}` : '')
    : '';
  const c = profile.contextView;
  const context = c
    ? ` · context ${c.window}×${c.window} step ${c.stride}, gain ${num(c.gain)}` +
      (c.scale !== undefined ? `, scale ${num(c.scale)}` : '') +
      (c.level !== undefined ? `, level ${num(c.level)}` : '')
    : '';
  return `${input} · ${norm}${position} · ${score}${smoothing}${mapView}${context}`;
}

/** The profile of a model without a tuned one: letterbox input and the backbone's own block normalisation
 *  (the manifest's, else weight 1, no floor, whole-row L2 norm as the original). */
export function baselineProfile(normalisation: FeatureNormalisation | undefined, blockCount: number): DetectorProfile {
  return {
    input: { mode: 'letterbox' },
    features: normalisation
      ? { weights: [...normalisation.weights], floors: [...normalisation.floors], unitNorm: normalisation.unitNorm }
      : { weights: new Array<number>(blockCount).fill(1), floors: new Array<number>(blockCount).fill(0), unitNorm: true },
  };
}

/** Weight of the position channels in the default fit profile: ROIs of a recipe show the same part in the same place. */
export const DEFAULT_POSITION_WEIGHT = 1;

/** Smoothing of the default fit profile, in patches: σ 1 for the map and the score. A wider score σ won more on MTD
 *  (σ 4: +0.008 image AUROC) but dilutes thin scratches; the tuner may move there on evidence (docs/quality.md). */
export const DEFAULT_SMOOTHING: MapSmoothing = { map: 1, score: 1 };

/** Share of the map view in the default map, the rest being the score view's distances: each view misses what
 *  the other sees (unit norm: large fray and break areas; energy-aware: small spots, and it stays quiet on flat
 *  background). MTD: 0.5 beat either alone on pixel AUROC and AUPRO (docs/quality.md). */
export const DEFAULT_MAP_BLEND = 0.5;

/** Noise-floor multiple of the default map view: on MTD ×8 traded 0.012 pixel AUROC for 0.006 AUPRO against ×4
 *  (docs/quality.md). */
export const DEFAULT_MAP_NOISE_MULTIPLE = 4;

/**
 * The default fit profile's context view: windows of 15×15 patches (120 px at stride 8, about half the shorter side
 * at the default 224 sizing) every 2 patches, gain 0.8. On MTD (docs/quality.md) 15 beat 5, 11, 13 and 21, step 2
 * matched step 1 at a quarter of the rows, and gain 0.8 gave 0.80 pixel AUROC for 0.62 AUPRO, gain 1 0.80 / 0.61.
 */
const DEFAULT_CONTEXT_VIEW: ContextView = { window: 15, stride: 2, gain: 0.8 };

/**
 * The profile a fit uses without tuning (BDI_SELF_TUNING=0, or too few OK images), and the tuner's starting point:
 * the crop's own aspect ratio where the backbone allows it (no resolution spent on padding), the backbone's block
 * normalisation, the patch position and the map smoothing. Measured on MTD against the baseline: docs/quality.md.
 */
export function defaultFitProfile(baseline: DetectorProfile, backbone: { resizable: boolean; inputWidth: number; inputHeight: number }): DetectorProfile {
  return {
    input: backbone.resizable ? { mode: 'aspect', side: Math.round(Math.sqrt(backbone.inputWidth * backbone.inputHeight)) } : { mode: 'letterbox' },
    features: baseline.features,
    position: DEFAULT_POSITION_WEIGHT,
    smoothing: { ...DEFAULT_SMOOTHING },
    mapView: defaultMapView(baseline.features),
    contextView: { ...DEFAULT_CONTEXT_VIEW },
  };
}

/** The energy-aware map view over the score view's block weights; its floors are learned by the fit. */
function defaultMapView(scoreFeatures: FeatureNormalisation): MapView {
  return {
    features: { weights: [...scoreFeatures.weights], floors: scoreFeatures.floors.map(() => 0), unitNorm: false },
    noiseMultiple: DEFAULT_MAP_NOISE_MULTIPLE,
    blend: DEFAULT_MAP_BLEND,
  };
}
