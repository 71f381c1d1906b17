// Task `fit`: streams images one at a time through decode → backbone → the profile's score view. Full-dimension rows
// go to a temporary file (bounded memory: only the projected rows, 64 floats per patch, stay in RAM for the coreset
// selection); the selected rows are read back in selection order. A profile with a map view (profile.mapView) also
// spills the raw rows: once every row's block norms are known, the view's noise floors are learned from all of them,
// and a second pass over the spilled rows builds the map view's own coreset. A context view (profile.contextView) is
// built from each image's normalised rows as they pass (a quarter of the rows at step 2) and gets its own coreset.
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coresetSize, kCenterGreedy, SelectionSpace, type CoresetSelection } from './coreset';
import { AbortedError, ImageDecodeError, InvalidArgumentError, TokenGridMismatchError } from './engine-error';
import { buildFlatIndex, serializeIndex } from './faiss-index';
import { nearestElsewhere } from './knn';
import { encodeMemoryNpz, type MemoryRows } from './npz';
import type { FitImage, FitImageError, FitInput, FitOutput } from './pool-protocol';
import { PROFILE_METADATA_KEY, TUNING_METADATA_KEY, type ContextView, type DetectorProfile, type MapView } from './profile/detector-profile';
import { featureView, scoreViews } from './profile/feature-view';
import { contentBlockNorms, noiseFloorsOf } from './profile/noise-floors';
import { percentileOfSorted } from './percentile';
import { tuneProfile, type TuningReport } from './tuning/tune-profile';
import { reportTaskProgress } from './task-progress';
import type { PatchFeatures } from './types';
import type { PreparedRaw, WorkerContext } from './worker-context';

function checkAbort(flag: Int32Array | undefined): void {
  if (flag && Atomics.load(flag, 0) !== 0) throw new AbortedError('Fit aborted');
}

function readImageBytes(image: FitImage): Uint8Array {
  if (image.bytes) return image.bytes;
  if (!image.path) throw new InvalidArgumentError(`Fit image ${image.name} has neither bytes nor a path`);
  try {
    return readFileSync(image.path);
  } catch (err) {
    throw new ImageDecodeError('invalid_image', `Could not read image ${image.name}: ${(err as Error).message}`, { file: image.name });
  }
}

/** Tuning skips unreadable images (the fit names them all afterwards). */
function readTuningBytes(image: FitImage): Uint8Array {
  try {
    return readImageBytes(image);
  } catch {
    return new Uint8Array(0);
  }
}

/** Streams [rows, dim] float32 blocks to a temp file and reads chosen rows back. */
class RowSpill {
  private readonly dir: string;
  private readonly fd: number;
  rows = 0;

  constructor(parent: string, readonly dim: number) {
    this.dir = mkdtempSync(join(parent, 'bdi-fit-'));
    this.fd = openSync(join(this.dir, 'features.f32'), 'w+');
  }

  append(block: Float32Array): void {
    writeSync(this.fd, new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
    this.rows += block.length / this.dim;
  }

  /** `count` consecutive rows from row `start`. */
  read(start: number, count: number): Float32Array {
    const out = new Float32Array(count * this.dim);
    readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, start * this.dim * 4);
    return out;
  }

  /** Rows in the order given, [indices.length, dim]. */
  gather(indices: Int32Array): Float32Array {
    const rowBytes = this.dim * 4;
    const out = new Float32Array(indices.length * this.dim);
    const outBytes = new Uint8Array(out.buffer);
    if (indices.length === this.rows && indices.every((v, i) => v === i)) {
      readSync(this.fd, outBytes, 0, outBytes.length, 0);
      return out;
    }
    // Ascending file offsets keep the reads sequential; results land at their selection position.
    const order = Array.from(indices.keys()).sort((a, b) => indices[a] - indices[b]);
    for (const pos of order) readSync(this.fd, outBytes, pos * rowBytes, rowBytes, indices[pos] * rowBytes);
    return out;
  }

  dispose(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The coreset of n rows from their projections at `rate` (null: keep every row, in order). */
function selectRows(projected: Float32Array[] | null, n: number, spaceDim: number, rate: number, seed: number, abortFlag?: Int32Array): CoresetSelection {
  if (!projected) return { indices: Int32Array.from({ length: n }, (_, i) => i), requestedRate: rate, appliedRate: 1, radius: 0 };
  const all = new Float32Array(n * spaceDim);
  let offset = 0;
  for (const block of projected.splice(0)) {
    all.set(block, offset);
    offset += block.length;
  }
  return kCenterGreedy(all, n, spaceDim, rate, seed, abortFlag);
}

/** A view's spilled rows, its coreset rows and their indices into the spill. */
interface ViewMemory {
  rows: RowSpill;
  bank: Float32Array;
  selected: Int32Array;
}

/** Rows sampled to put the map view's distances on the score's scale. */
const SCALE_SAMPLE_ROWS = 2048;

/**
 * The map view's coreset rate as a share of the score's: its kNN search is a second one per inference, as costly
 * as the first (MTD: ~28 ms each for 800 patches against 15 666 rows). Half the rows kept half that cost for 0.01
 * pixel AUROC (0.707 → 0.697; AUPRO 0.668 → 0.667), a quarter lost 0.02 (docs/quality.md).
 */
export const MAP_CORESET_SHARE = 0.5;

/**
 * The map view's memory: each image's spilled raw rows under the view, then its own coreset (at MAP_CORESET_SHARE
 * of the score's rate; every row when the fit keeps every row). The GUI cuts regions
 * from the map at a threshold in image-score units, so the view's distances get a scale to the score's units
 * (scaleTo; mapView.scale, applied to the map view's distances at inference).
 */
function mapViewMemory(
  raw: RowSpill,
  grids: ReadonlyArray<{ h: number; w: number }>,
  blocks: readonly number[],
  profile: DetectorProfile & { mapView: MapView },
  scoreP99: number,
  input: FitInput,
  tempDir: string,
  abortFlag?: Int32Array,
): { memory: MemoryRows; scale: number } {
  const rows = new ViewRows(tempDir, input);
  try {
    let start = 0;
    for (const grid of grids) {
      checkAbort(abortFlag);
      const count = grid.h * grid.w;
      rows.append(featureView({ features: raw.read(start, count), gridH: grid.h, gridW: grid.w, dim: raw.dim }, blocks, profile.mapView.features, profile.position, false));
      start += count;
    }
    const { memory, distances } = rows.select(input.coresetRate * MAP_CORESET_SHARE, abortFlag);
    return { memory, scale: scaleTo(scoreP99, distances) };
  } finally {
    rows.dispose();
  }
}

/** One view's rows spilled image after image, with their grids and, when the fit selects a coreset, their
 *  projections. */
class ViewRows {
  readonly grids: Array<{ h: number; w: number }> = [];
  private rows: RowSpill | null = null;
  private space: SelectionSpace | null = null;
  private readonly projected: Float32Array[] = [];

  constructor(private readonly tempDir: string, private readonly input: FitInput) {}

  append(view: PatchFeatures): void {
    this.rows ??= new RowSpill(this.tempDir, view.dim);
    this.rows.append(view.features);
    this.grids.push({ h: view.gridH, w: view.gridW });
    if (this.input.coresetRate < 1) {
      this.space ??= new SelectionSpace(view.dim, this.input.seed, this.input.projectionDim);
      this.projected.push(this.space.project(view.features));
    }
  }

  /** The view's coreset at `rate` (every row when the fit keeps every row), and its OK rows' sorted distances to
   *  memory rows of other images (distancesElsewhere), which put it on the score's scale. */
  select(rate: number, abortFlag?: Int32Array): { memory: MemoryRows; distances: Float32Array } {
    const rows = this.rows;
    if (!rows) throw new InvalidArgumentError('A feature view with no rows');
    const { indices } = selectRows(this.space ? this.projected : null, rows.rows, this.space?.dim ?? rows.dim, rate, this.input.seed, abortFlag);
    const bank = rows.gather(indices);
    const distances = distancesElsewhere({ rows, bank, selected: indices }, imageOfRows(this.grids));
    return { memory: { emb: bank, m: indices.length, dim: rows.dim }, distances };
  }

  dispose(): void {
    this.rows?.dispose();
  }
}

/** The context view as fitted: scaled into the score's units as the map view is, an OK window's level (the median
 *  distance) in those units, and its gain lowered past MAX_CONTEXT_SCALE. */
function fittedContextView(view: ContextView, scoreP99: number, distances: Float32Array): ContextView {
  const scale = scaleTo(scoreP99, distances);
  const gain = view.gain * Math.min(1, (MAX_CONTEXT_SCALE / scale) ** 2);
  return { ...view, gain, scale, level: scale * percentileOfSorted(distances, 50) };
}

/**
 * The context view's coreset rate as a multiple of the score's. At step 2 the view has a quarter of the rows, so
 * twice the rate keeps about as many rows as the map view. On MTD (docs/quality.md) a fifth of the score's rate
 * lost 0.02 pixel AUROC against half of it (at step 1); at step 2, 4× gained 0.004 pixel AUROC over 2× for 0.012
 * AUPRO.
 */
export const CONTEXT_CORESET_FACTOR = 2;

/**
 * The context view's scale past which its gain is lowered, with the square of the excess (gain × (MAX / scale)²).
 * Where OK windows are far more alike than OK patches (a stationary texture), the scale is large (generated set
 * 9.6, MTD 2.2): a small defect moves every window that holds it, and at full gain the view adds a 15×15-patch halo
 * around it, a blurred copy of the patch map. On the generated set (docs/quality.md), pixel AUROC / AUPRO were
 * 0.994 / 0.980 without the view, 0.966 / 0.899 at full gain, 0.987 / 0.961 lowered in proportion, and 0.99 / 0.97
 * with the square.
 */
export const MAX_CONTEXT_SCALE = 2.5;

/** Each row's image index, for rows spilled image after image on these grids. */
function imageOfRows(grids: ReadonlyArray<{ h: number; w: number }>): Int32Array {
  const out = new Int32Array(grids.reduce((n, grid) => n + grid.h * grid.w, 0));
  let row = 0;
  grids.forEach((grid, image) => out.fill(image, row, (row += grid.h * grid.w)));
  return out;
}

/** Neighbours searched for one from another image (nearestElsewhere). */
const SCALE_NEIGHBOURS = 16;

/**
 * Sampled OK rows' distances, each to its nearest memory row from another image, sorted: what a new image's rows
 * see. (Rows against a memory built from their own image are in-sample; on small recipes two views' in-sample
 * distances shrink differently, and a map view's scale came out 0.7× too low.)
 */
function distancesElsewhere(view: ViewMemory, imageOfRow: Int32Array): Float32Array {
  const n = view.rows.rows;
  const step = Math.max(1, Math.floor(n / SCALE_SAMPLE_ROWS));
  const sample = Int32Array.from({ length: Math.min(SCALE_SAMPLE_ROWS, Math.ceil(n / step)) }, (_, k) => k * step);
  const groups = Int32Array.from(sample, (row) => imageOfRow[row]);
  const bankGroups = Int32Array.from(view.selected, (row) => imageOfRow[row]);
  return nearestElsewhere(buildFlatIndex(view.bank, view.rows.dim), view.rows.gather(sample), view.rows.dim, groups, bankGroups, SCALE_NEIGHBOURS).sort();
}

/** The factor that puts a view's distances on the score's scale: the ratio of the 99th percentiles of their
 *  distancesElsewhere; 1 when there is nothing to compare. */
function scaleTo(scoreP99: number, viewDistances: Float32Array): number {
  const ratio = scoreP99 / percentileOfSorted(viewDistances, 99);
  return Number.isFinite(ratio) && ratio > 0 ? ratio : 1;
}

export async function runFit(input: FitInput, ctx: WorkerContext, abortFlag?: Int32Array): Promise<FitOutput> {
  const started = performance.now();
  if (input.images.length === 0) throw new InvalidArgumentError('No images to fit');
  coresetSize(1, input.coresetRate); // validates the rate before any work
  const keepAll = input.coresetRate >= 1;
  const errors: FitImageError[] = [];
  let grid: { h: number; w: number } | null = null;
  let spill: RowSpill | null = null;
  let space: SelectionSpace | null = null;
  const projected: Float32Array[] = [];
  let nImages = 0;
  let decodeMs = 0;
  let backboneMs = 0;
  const total = input.images.length;
  let seen = 0;
  let profile = input.profile ?? (await ctx.defaultFitProfile());
  let tuning: TuningReport | undefined;
  if (!input.profile && input.tune) {
    reportTaskProgress(abortFlag, 'tuning', 0, total);
    ({ profile, report: tuning } = await tuneProfile(input.images.map(readTuningBytes), await ctx.baselineProfile(), ctx, { ...input.tune, seed: input.seed }, abortFlag));
  }
  // 'aspect' sizing gives every crop its own grid; patches are compared one by one, so only the dim must agree.
  const fixedGrid = profile.input.mode === 'letterbox';
  const tempDir = ctx.config.tempDir ?? tmpdir();
  const mapView = profile.mapView;
  let raw: RowSpill | null = null;
  const grids: Array<{ h: number; w: number }> = [];
  const context = profile.contextView ? new ViewRows(tempDir, input) : null;
  const rawNorms: Float32Array[] = [];
  let blocks: readonly number[] = [];
  try {
    for (const image of input.images) {
      checkAbort(abortFlag);
      reportTaskProgress(abortFlag, 'features', seen++, total);
      let prepared: PreparedRaw;
      try {
        prepared = await ctx.prepareRaw(readImageBytes(image), profile);
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        // 'fail' still looks at every image, so the error names all unusable ones, not just the first.
        errors.push({ name: image.name, code: err.code, message: err.message });
        continue;
      }
      blocks = prepared.blocks;
      const rawFeatures = prepared.raw;
      if (!grid) grid = { h: rawFeatures.gridH, w: rawFeatures.gridW };
      else if (fixedGrid && (grid.h !== rawFeatures.gridH || grid.w !== rawFeatures.gridW)) {
        throw new TokenGridMismatchError(
          `Token grid mismatch: got (${rawFeatures.gridH}, ${rawFeatures.gridW}), expected (${grid.h}, ${grid.w})`,
          { file: image.name },
        );
      }
      if (mapView) {
        raw ??= new RowSpill(tempDir, rawFeatures.dim);
        raw.append(rawFeatures.features);
        rawNorms.push(contentBlockNorms(rawFeatures.features, rawFeatures.gridH, rawFeatures.gridW, blocks, prepared.letterbox));
      }
      grids.push({ h: rawFeatures.gridH, w: rawFeatures.gridW });
      const t0 = performance.now();
      const views = scoreViews(rawFeatures, blocks, profile, prepared.letterbox);
      const features = views.features;
      if (views.context) context?.append(views.context);
      decodeMs += prepared.decodeMs;
      // The view counts as backbone time, as the normalisation always did.
      backboneMs += prepared.backboneMs + performance.now() - t0;
      spill ??= new RowSpill(tempDir, features.dim);
      spill.append(features.features);
      if (!keepAll) {
        space ??= new SelectionSpace(features.dim, input.seed, input.projectionDim);
        projected.push(space.project(features.features));
      }
      nImages++;
    }
    if (errors.length > 0 && input.onImageError !== 'skip') {
      throw new ImageDecodeError(errors[0].code as 'invalid_image' | 'image_too_large', errors.map((e) => `${e.name}: ${e.message}`).join('; '), {
        file: errors[0].name,
        files: errors,
      });
    }
    if (!spill || !grid) throw new InvalidArgumentError('None of the images could be used for fitting', { errors });
    checkAbort(abortFlag);
    reportTaskProgress(abortFlag, 'coreset', total, total);

    const n = spill.rows;
    const dim = spill.dim;
    const t0 = performance.now();
    const { indices, appliedRate, radius: coverRadius } = selectRows(keepAll || !space ? null : projected, n, space?.dim ?? dim, input.coresetRate, input.seed, abortFlag);
    const bank = spill.gather(indices);
    const scoreP99 = mapView || context ? percentileOfSorted(distancesElsewhere({ rows: spill, bank, selected: indices }, imageOfRows(grids)), 99) : 0;
    let map: MemoryRows | undefined;
    if (mapView && raw) {
      const floors = mapView.noiseMultiple > 0 ? noiseFloorsOf(rawNorms, blocks.length, mapView.noiseMultiple) : mapView.features.floors;
      const viewed = { ...profile, mapView: { ...mapView, features: { ...mapView.features, floors } } };
      const built = mapViewMemory(raw, grids, blocks, viewed, scoreP99, input, tempDir, abortFlag);
      map = built.memory;
      profile = { ...viewed, mapView: { ...viewed.mapView, scale: built.scale } };
    }
    let contextMemory: MemoryRows | undefined;
    if (context && profile.contextView) {
      const selected = context.select(Math.min(1, input.coresetRate * CONTEXT_CORESET_FACTOR), abortFlag);
      contextMemory = selected.memory;
      profile = { ...profile, contextView: fittedContextView(profile.contextView, scoreP99, selected.distances) };
    }
    const coresetMs = performance.now() - t0;

    const out: FitOutput = {
      bank,
      m: indices.length,
      dim,
      nEmbeddings: n,
      nImages,
      tokenH: grid.h,
      tokenW: grid.w,
      requestedRate: input.coresetRate,
      appliedRate,
      coverRadius,
      errors,
      profile,
      ...(map ? { map } : {}),
      ...(contextMemory ? { context: contextMemory } : {}),
      ...(tuning ? { tuning } : {}),
      timingsMs: { decode: decodeMs, backbone: backboneMs, coreset: coresetMs, total: 0 },
    };
    if (input.encodeArtifacts) {
      reportTaskProgress(abortFlag, 'artifacts', total, total);
      out.npzBytes = encodeMemoryNpz({
        emb: bank,
        dim,
        tokenH: grid.h,
        tokenW: grid.w,
        metadata: {
          coreset_rate: input.coresetRate,
          applied_rate: appliedRate,
          [PROFILE_METADATA_KEY]: profile,
          ...(tuning ? { [TUNING_METADATA_KEY]: tuning } : {}),
        },
        ...(map ? { map } : {}),
        ...(contextMemory ? { context: contextMemory } : {}),
      });
      out.indexBytes = serializeIndex(buildFlatIndex(bank, dim)).slice();
    }
    out.timingsMs.total = performance.now() - started;
    return out;
  } finally {
    spill?.dispose();
    raw?.dispose();
    context?.dispose();
  }
}
