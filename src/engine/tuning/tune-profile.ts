// Fit-time self-tuning: choose the detector profile (input sizing, feature-block weights and noise floors, score
// statistic) that best separates synthetic defects from untouched OK images of this recipe. The fit only ever
// sees OK images, so a few are held out, defects are pasted into copies of them (synthetic-defects.ts), and every
// candidate is scored the way inference scores: kNN distance of each patch to a memory of the other OK images.
// Deterministic for a seed: the split, the defects and the memory subsample all come from it.
import { blendMapDistances } from '../anomaly-map';
import { AbortedError } from '../engine-error';
import { buildFlatIndex } from '../faiss-index';
import { decodeImage } from '../image';
import { nearestDistances } from '../knn';
import {
  DEFAULT_MAP_BLEND,
  defaultFitProfile,
  describeProfile,
  type DetectorProfile,
  type FeatureNormalisation,
  type InputSizing,
  type MapSmoothing,
  type MapView,
  type ScoreStatistic,
} from '../profile/detector-profile';
import { featureView } from '../profile/feature-view';
import { contentBlockNorms, noiseFloorsOf } from '../profile/noise-floors';
import { percentileOfSorted } from '../percentile';
import { POSITION_CHANNELS } from '../profile/position-features';
import { createPrng, type Prng } from '../seeded-prng';
import { smoothTokenGrid } from '../token-smoothing';
import type { Letterbox, RgbImage } from '../types';
import type { WorkerContext } from '../worker-context';
import { maskCoverage, pairedAurocDifferenceSe, rankAuroc, type ScoredSamples } from './separation';
import { SYNTHETIC_MIN_SIDE, synthesizeDefect, type SyntheticDefectKind } from './synthetic-defects';

export interface TuningOptions {
  seed: number;
  /** OK images held out for scoring candidates (default: 20 % of the images, 2..16). */
  heldOut?: number;
  /** Synthetic defects per held-out image (default 2). */
  defectsPerImage?: number;
  /** OK images whose patches form the tuning memory (default 24). */
  memoryImages?: number;
  /** Rows of the tuning memory (random subsample, default 4096; the kNN of every candidate dominates tuning time). */
  memoryRows?: number;
}

/** A measured candidate: synthetic image AUROC (best statistic), cell AUROC and their mean (the objective). */
export interface CandidateScore {
  profile: string;
  imageAuroc: number;
  cellAuroc: number;
  objective: number;
  /** The objective gain it needed over the incumbent it was measured against (requiredGain); absent for the
   *  default fit profile, the first incumbent. */
  requiredGain?: number;
}

export interface TuningReport {
  /** Whether tuning ran; when not, `reason` says why and the default fit profile is used. */
  tuned: boolean;
  reason?: string;
  heldOutImages: number;
  syntheticDefects: number;
  memoryImages: number;
  /** The baseline profile's and the chosen profile's separation of the synthetic defects. */
  baseline: CandidateScore | null;
  chosen: CandidateScore | null;
  candidates: CandidateScore[];
  /** The map view's blends with the score view (its share of the map), rated on the held-out cells alone; the
   *  chosen one is the profile's mapView.blend. Absent without a map view. */
  mapBlends?: Array<{ blend: number; cellAuroc: number }>;
  ms: number;
}

/** Fewer OK images than this: not enough to hold some out; the baseline profile is kept. */
export const MIN_TUNING_IMAGES = 6;
const KINDS: SyntheticDefectKind[] = ['scratch', 'spot', 'dent', 'patch'];
const STATISTICS: ScoreStatistic[] = [
  { kind: 'percentile', value: 99 },
  { kind: 'top-mean', fraction: 0.01 },
  { kind: 'percentile', value: 100 },
];
/** Map smoothings tried last, on the chosen features' distances (σ in patches: map, score). */
const SMOOTHINGS: MapSmoothing[] = [
  { map: 0, score: 0 },
  { map: 1, score: 1 },
  { map: 0, score: 4 },
  { map: 1, score: 4 },
  { map: 2, score: 4 },
  { map: 1, score: 8 },
];
/**
 * The map view's shares of the map tried last: the default fit profile's, then the view alone (a flat or dark
 * background that the score view lights up). Not 0, the score view alone: on MTD the synthetic cells preferred it
 * by 0.021 while the real defects lost 0.03 pixel AUROC and 0.16 AUPRO with it (docs/quality.md), and it gives up
 * the noise floors that keep such backgrounds quiet.
 */
const MAP_BLENDS = [DEFAULT_MAP_BLEND, 1];
/**
 * A candidate must beat the incumbent by at least this much to replace it. A few dozen held-out images measure an
 * AUROC to a few hundredths only (measured on MTD: synthetic differences below 0.01 did not carry over to real
 * defects), so the prior stays unless the evidence is clear.
 */
export const MIN_GAIN = 0.02;

/**
 * The objective gain a challenger needs over the incumbent: MIN_GAIN, or the standard error of their paired
 * image-AUROC difference (the objective's half of it) where that is larger. The image half is measured on a few
 * dozen images: on MTD (16 clean, 32 synthetic defects at image AUROC ≈ 0.55) a 0.021 objective "gain" from image
 * AUROC alone picked a map smoothing that cost 0.012 image and 0.04 pixel AUROC on the real defects
 * (docs/quality.md).
 */
export function requiredGain(challenger: ScoredSamples, incumbent: ScoredSamples): number {
  const se = pairedAurocDifferenceSe(challenger, incumbent);
  return Number.isFinite(se) ? Math.max(MIN_GAIN, se / 2) : MIN_GAIN;
}

interface RawImage {
  features: Float32Array;
  gridH: number;
  gridW: number;
  letterbox: Letterbox;
  /** Defect cover per cell (defect images), -1 for padding cells; clean images: 0 or -1. */
  cover: Float32Array;
}

/** kNN distance of every cell of the held-out images, clean and with defects: what a candidate's rating reads. */
interface CellDistances {
  clean: Float32Array[];
  defects: Float32Array[];
}

interface SizedSet {
  sizing: InputSizing;
  memory: RawImage[];
  clean: RawImage[];
  defects: RawImage[];
  /** Fixed subsample of memory rows (indices into the concatenated memory rows). */
  rows: Int32Array;
}

export async function tuneProfile(
  images: Uint8Array[],
  baseline: DetectorProfile,
  ctx: WorkerContext,
  options: TuningOptions,
  abortFlag?: Int32Array,
): Promise<{ profile: DetectorProfile; report: TuningReport }> {
  const started = performance.now();
  const backbone = await ctx.getBackbone();
  const prior = defaultFitProfile(baseline, backbone.info);
  const empty = (reason: string): { profile: DetectorProfile; report: TuningReport } => ({
    profile: prior,
    report: { tuned: false, reason, heldOutImages: 0, syntheticDefects: 0, memoryImages: 0, baseline: null, chosen: null, candidates: [], ms: performance.now() - started },
  });
  if (images.length < MIN_TUNING_IMAGES) return empty(`${images.length} OK images; tuning needs at least ${MIN_TUNING_IMAGES}`);
  const rng = createPrng(options.seed ^ 0x5eed7);
  const order = shuffled(images.length, rng);
  const heldOut = options.heldOut ?? Math.max(2, Math.min(16, Math.round(images.length * 0.2)));
  const memoryCount = Math.min(options.memoryImages ?? 24, images.length - heldOut);
  // Undecodable images are the fit's to report (it names every one); tuning just does without them, and without
  // crops too small to paste a synthetic defect into (the fit itself accepts them).
  const decoded: RgbImage[] = [];
  let tooSmall = 0;
  for (const i of order) {
    if (decoded.length === heldOut + memoryCount) break;
    checkAbort(abortFlag);
    let image: RgbImage;
    try {
      image = await decodeImage(images[i], { limitInputPixels: ctx.config.limitInputPixels });
    } catch {
      continue;
    }
    if (image.width < SYNTHETIC_MIN_SIDE || image.height < SYNTHETIC_MIN_SIDE) tooSmall++;
    else decoded.push(image);
  }
  if (decoded.length < MIN_TUNING_IMAGES) {
    const small = tooSmall > 0 ? ` (${tooSmall} under ${SYNTHETIC_MIN_SIDE}×${SYNTHETIC_MIN_SIDE} px left out)` : '';
    return empty(`${decoded.length} decodable OK images${small}; tuning needs at least ${MIN_TUNING_IMAGES}`);
  }
  const clean = decoded.slice(0, Math.min(heldOut, decoded.length - 2));
  const memory = decoded.slice(clean.length);
  const defects = clean.flatMap((image, i) =>
    Array.from({ length: options.defectsPerImage ?? 2 }, (_, k) => {
      const n = i * 7 + k;
      return synthesizeDefect(image, options.seed + n, KINDS[n % KINDS.length], memory[n % memory.length]);
    }),
  );

  const blocks = backbone.info.blocks;
  const sizings: InputSizing[] = [{ mode: 'letterbox' }];
  if (prior.input.mode === 'aspect') sizings.push(prior.input);

  const sets: SizedSet[] = [];
  for (const sizing of sizings) {
    const raw = async (image: RgbImage, mask: Uint8Array | null): Promise<RawImage> => {
      checkAbort(abortFlag);
      const { features, letterbox } = await ctx.rawFeatures(image, { ...baseline, input: sizing });
      const cover = maskCoverage(mask ?? new Uint8Array(image.width * image.height), letterbox, features.gridH, features.gridW);
      return { features: features.features, gridH: features.gridH, gridW: features.gridW, letterbox, cover };
    };
    const set: SizedSet = { sizing, memory: [], clean: [], defects: [], rows: new Int32Array(0) };
    for (const image of memory) set.memory.push(await raw(image, null));
    for (const image of clean) set.clean.push(await raw(image, null));
    for (const defect of defects) set.defects.push(await raw(defect.image, defect.mask));
    const total = set.memory.reduce((sum, m) => sum + m.features.length / backbone.info.dim, 0);
    set.rows = sampleRows(total, options.memoryRows ?? 4096, rng);
    sets.push(set);
  }

  const dim = backbone.info.dim;
  const measure = (set: SizedSet, features: FeatureNormalisation, position: number, smoothing: MapSmoothing | undefined): Measured => {
    checkAbort(abortFlag);
    const profile = candidateProfile(set.sizing, features, position, smoothing);
    const cells = cellDistances(set, blocks, dim, profile);
    return { ...rateCandidate(set, cells, profile), cells };
  };
  const baselineSet = sets[0];
  const base = measure(baselineSet, baseline.features, 0, undefined);
  const candidates: CandidateScore[] = [base.score];
  // The incumbent starts at the default fit profile (aspect sizing where possible, position); every other
  // candidate, the baseline included, must beat it by the required gain.
  const priorSet = sets[sets.length - 1];
  const priorPosition = prior.position ?? 0;
  const measuredPrior = measure(priorSet, prior.features, priorPosition, prior.smoothing);
  const beats = (challenger: Rated, incumbent: Rated): boolean => {
    challenger.score.requiredGain = requiredGain(challenger.images, incumbent.images);
    return challenger.score.objective > incumbent.score.objective + challenger.score.requiredGain;
  };
  candidates.push(measuredPrior.score);
  let best = { set: priorSet, features: prior.features, position: priorPosition, smoothing: prior.smoothing, ...measuredPrior };
  if (beats(base, measuredPrior)) {
    best = { set: baselineSet, features: baseline.features, position: 0, smoothing: undefined, ...base };
  }
  const consider = (set: SizedSet, features: FeatureNormalisation, position = best.position): void => {
    const result = measure(set, features, position, best.smoothing);
    candidates.push(result.score);
    if (beats(result, best)) best = { ...best, set, features, position, ...result };
  };

  // 1. Sizing × normalisation style (whole-row unit norm as the original, or energy-aware: flat patches stay small).
  for (const set of sets) {
    for (const unitNorm of [true, false]) {
      if (unitNorm === baseline.features.unitNorm && set === priorSet) continue;
      consider(set, { ...baseline.features, unitNorm });
    }
  }
  // 2. Position weight: stronger only. The tuning memory (a few thousand rows) is far sparser per position than the
  // fitted one, which biases every measurement against position; turning it off on that evidence cost MTD 0.013
  // image and 0.06 pixel AUROC (docs/quality.md). A surface without a fixed layout still has a dense memory at
  // every position once fitted.
  if (best.position > 0) consider(best.set, best.features, best.position * 2);
  // 3. Noise floors learned from the OK memory images: multiples of each block's low-energy patch norm.
  for (const multiple of [1, 2, 4]) consider(best.set, { ...best.features, floors: learnNoiseFloors(best.set.memory, blocks, multiple) });
  // 4. Block weights, one block at a time (coordinate search from the incumbent).
  if (blocks.length > 1) {
    for (let b = 0; b < blocks.length; b++) {
      const current = best.features.weights[b];
      const reference = current > 0 ? current : Math.max(...best.features.weights) * 0.3;
      for (const factor of current > 0 ? [0, 0.33, 3] : [1]) {
        const weights = [...best.features.weights];
        weights[b] = reference * factor;
        if (weights.every((w) => w === 0)) continue;
        consider(best.set, { ...best.features, weights });
      }
    }
  }

  // 5. Map smoothing: re-rates the chosen features' distances, no new kNN.
  for (const smoothing of SMOOTHINGS) {
    if (best.smoothing && smoothing.map === best.smoothing.map && smoothing.score === best.smoothing.score) continue;
    const result = rateCandidate(best.set, best.cells, candidateProfile(best.set.sizing, best.features, best.position, smoothing));
    candidates.push(result.score);
    if (beats(result, best)) best = { ...best, smoothing, ...result };
  }

  // 6. The map view keeps its energy-aware normalisation (the fit learns its floors on all its rows) and follows the
  // chosen block weights: a block that hurts the score's separation is left out of the map too. Its blend with the
  // score view is chosen on the held-out cells.
  let mapView: MapView | undefined;
  let mapBlends: TuningReport['mapBlends'];
  if (prior.mapView) {
    const weighted = { ...prior.mapView, features: { ...prior.mapView.features, weights: [...best.features.weights] } };
    const rated = rateMapBlends(best.set, best.cells, weighted, candidateProfile(best.set.sizing, best.features, best.position, best.smoothing), blocks, dim);
    mapView = { ...weighted, blend: rated.blend };
    mapBlends = rated.ratings;
  }
  const profile: DetectorProfile = {
    ...candidateProfile(best.set.sizing, best.features, best.position, best.smoothing),
    score: best.statistic,
    ...(mapView ? { mapView } : {}),
    // Carried as the prior has it: the synthetic defects are small, and cannot rate a view of 15×15-patch windows.
    ...(prior.contextView ? { contextView: { ...prior.contextView } } : {}),
  };
  return {
    profile,
    report: {
      tuned: true,
      heldOutImages: clean.length,
      syntheticDefects: defects.length,
      memoryImages: memory.length,
      baseline: base.score,
      chosen: best.score,
      candidates,
      ...(mapBlends ? { mapBlends } : {}),
      ms: performance.now() - started,
    },
  };
}

/**
 * The map view's cells on the tuning memory, put on the score cells' scale (99th percentiles of the clean held-out
 * cells, out of sample), then each blend's cell AUROC; a blend replaces the prior's only when it wins by MIN_GAIN.
 * On a dark, noisy background the score view's cells light up where the view's stay quiet (generated-pairs.spec).
 */
function rateMapBlends(
  set: SizedSet,
  scoreCells: CellDistances,
  view: MapView,
  scoreProfile: Omit<DetectorProfile, 'score'>,
  blocks: readonly number[],
  dim: number,
): { blend: number; ratings: Array<{ blend: number; cellAuroc: number }> } {
  const floors = view.noiseMultiple > 0 ? learnNoiseFloors(set.memory, blocks, view.noiseMultiple) : view.features.floors;
  const viewCells = cellDistances(set, blocks, dim, { ...scoreProfile, features: { ...view.features, floors } });
  const p99 = (cells: Float32Array[]): number => percentileOfSorted(concatRows(cells).sort(), 99);
  const scale = p99(scoreCells.clean) / p99(viewCells.clean);
  const blended = (blend: number): CellDistances => {
    const mix = (score: Float32Array[], mine: Float32Array[]): Float32Array[] =>
      mine.map((cells, i) => blendMapDistances(score[i], cells.slice(), { scale: Number.isFinite(scale) && scale > 0 ? scale : 1, blend }));
    return { clean: mix(scoreCells.clean, viewCells.clean), defects: mix(scoreCells.defects, viewCells.defects) };
  };
  const ratings = MAP_BLENDS.map((blend) => ({ blend, cellAuroc: rateCandidate(set, blended(blend), scoreProfile).score.cellAuroc }));
  let best = ratings[0];
  for (const rating of ratings.slice(1)) if (rating.cellAuroc > best.cellAuroc + MIN_GAIN) best = rating;
  return { blend: best.blend, ratings };
}

/** A candidate as a profile without its score statistic (each rating picks that); position 0 is left out. */
function candidateProfile(
  input: InputSizing,
  features: FeatureNormalisation,
  position: number,
  smoothing: MapSmoothing | undefined,
): Omit<DetectorProfile, 'score'> {
  return { input, features, ...(position ? { position } : {}), ...(smoothing ? { smoothing } : {}) };
}

interface Rated {
  score: CandidateScore;
  statistic: ScoreStatistic;
  /** Image scores under the chosen statistic, for the paired comparison with the incumbent. */
  images: ScoredSamples;
}

interface Measured extends Rated {
  cells: CellDistances;
}

/** The candidate's features exactly as the worker computes them at inference (worker-context.ts), searched
 *  against the tuning memory. */
function cellDistances(set: SizedSet, blocks: readonly number[], rawDim: number, profile: Omit<DetectorProfile, 'score'>): CellDistances {
  const position = profile.position ?? 0;
  const dim = rawDim + (position ? POSITION_CHANNELS : 0);
  const normalised = (image: RawImage): Float32Array =>
    featureView({ features: image.features, gridH: image.gridH, gridW: image.gridW, dim: rawDim }, blocks, profile.features, position, true).features;
  const all = concatRows(set.memory.map(normalised));
  const bank = new Float32Array(set.rows.length * dim);
  set.rows.forEach((row, i) => bank.set(all.subarray(row * dim, (row + 1) * dim), i * dim));
  const index = buildFlatIndex(bank, dim);
  const cellsOf = (image: RawImage): Float32Array => nearestDistances(index, normalised(image), dim);
  return { clean: set.clean.map(cellsOf), defects: set.defects.map(cellsOf) };
}

/** Separation of the synthetic defects by the candidate: cells on the map's smoothing, images on the score's. */
function rateCandidate(set: SizedSet, cells: CellDistances, profile: Omit<DetectorProfile, 'score'>): Rated {
  const smoothing = (sigma: number, images: RawImage[]) => (distances: Float32Array, i: number): Float32Array =>
    smoothTokenGrid(distances, images[i].gridH, images[i].gridW, sigma, images[i].letterbox);
  const mapSigma = profile.smoothing?.map ?? 0;
  const scoreSigma = profile.smoothing?.score ?? 0;
  const cleanCells = cells.clean.map(smoothing(mapSigma, set.clean));
  const defectCells = cells.defects.map(smoothing(mapSigma, set.defects));
  const cleanScoreCells = scoreSigma === mapSigma ? cleanCells : cells.clean.map(smoothing(scoreSigma, set.clean));
  const defectScoreCells = scoreSigma === mapSigma ? defectCells : cells.defects.map(smoothing(scoreSigma, set.defects));

  // Cells: defect cells (mostly covered) against every clean cell and the untouched cells of defect images.
  const positives: number[] = [];
  const negatives: number[] = [];
  set.clean.forEach((image, i) => cleanCells[i].forEach((d, c) => image.cover[c] >= 0 && negatives.push(d)));
  set.defects.forEach((image, i) =>
    defectCells[i].forEach((d, c) => {
      if (image.cover[c] >= 0.3) positives.push(d);
      else if (image.cover[c] === 0) negatives.push(d);
    }),
  );
  const cellAuroc = rankAuroc(positives, negatives);
  // The original's p99 unless another statistic is clearly better.
  let bestImage = -1;
  let statistic = STATISTICS[0];
  let images: ScoredSamples = { positives: [], negatives: [] };
  for (const candidate of STATISTICS) {
    const score = (cells: Float32Array, image: RawImage): number => imageScore(cells, image.cover, candidate);
    const scored = {
      positives: defectScoreCells.map((d, i) => score(d, set.defects[i])),
      negatives: cleanScoreCells.map((d, i) => score(d, set.clean[i])),
    };
    const auroc = rankAuroc(scored.positives, scored.negatives);
    if (bestImage < 0 || auroc > bestImage + MIN_GAIN) {
      bestImage = auroc;
      statistic = candidate;
      images = scored;
    }
  }
  return {
    score: { profile: describeProfile({ ...profile, score: statistic }), imageAuroc: bestImage, cellAuroc, objective: (bestImage + cellAuroc) / 2 },
    statistic,
    images,
  };
}

/** Image score of a candidate statistic over the crop's cells (grid resolution: ranks candidates, not thresholds). */
function imageScore(cells: Float32Array, cover: Float32Array, statistic: ScoreStatistic): number {
  const values: number[] = [];
  cells.forEach((d, c) => cover[c] >= 0 && values.push(d));
  values.sort((a, b) => a - b);
  if (statistic.kind === 'percentile') return percentileOfSorted(values, statistic.value);
  const count = Math.max(1, Math.ceil(statistic.fraction * values.length));
  let sum = 0;
  for (let i = values.length - count; i < values.length; i++) sum += values[i];
  return sum / count;
}

/**
 * Per block, `multiple` × the noise level of the OK images' content cells (raw features [cells, dim] each): see
 * profile/noise-floors.ts.
 */
export function learnNoiseFloors(
  okImages: ReadonlyArray<{ features: Float32Array; gridH: number; gridW: number; letterbox: Letterbox }>,
  blocks: readonly number[],
  multiple: number,
): number[] {
  return noiseFloorsOf(okImages.map((i) => contentBlockNorms(i.features, i.gridH, i.gridW, blocks, i.letterbox)), blocks.length, multiple);
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Fisher–Yates permutation of 0..n-1. */
function shuffled(n: number, rng: Prng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Up to `max` distinct row indices of `total`, ascending (all rows when total <= max). */
function sampleRows(total: number, max: number, rng: Prng): Int32Array {
  if (total <= max) return Int32Array.from({ length: total }, (_, i) => i);
  const picked = shuffled(total, rng).slice(0, max);
  return Int32Array.from(picked.sort((a, b) => a - b));
}

function checkAbort(flag: Int32Array | undefined): void {
  if (flag && Atomics.load(flag, 0) !== 0) throw new AbortedError('Fit aborted');
}
