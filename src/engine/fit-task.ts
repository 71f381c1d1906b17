// Task `fit`: streams images one at a time through decode → backbone → L2 norm. Full-dimension rows go to a
// temporary file (bounded memory: only the projected rows, 128 floats per patch, stay in RAM for the coreset
// selection); the selected rows are read back in selection order.
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coresetSize, kCenterGreedy, SelectionSpace } from './coreset';
import { AbortedError, ImageDecodeError, InvalidArgumentError, TokenGridMismatchError } from './engine-error';
import { buildFlatIndex, serializeIndex } from './faiss-index';
import { encodeMemoryNpz } from './npz';
import type { FitImage, FitImageError, FitInput, FitOutput } from './pool-protocol';
import { PROFILE_METADATA_KEY, TUNING_METADATA_KEY } from './profile/detector-profile';
import { tuneProfile, type TuningReport } from './tuning/tune-profile';
import { reportTaskProgress } from './task-progress';
import type { WorkerContext } from './worker-context';

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
  try {
    for (const image of input.images) {
      checkAbort(abortFlag);
      reportTaskProgress(abortFlag, 'features', seen++, total);
      let prepared;
      try {
        prepared = await ctx.features(readImageBytes(image), profile);
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        // 'fail' still looks at every image, so the error names all unusable ones, not just the first.
        errors.push({ name: image.name, code: err.code, message: err.message });
        continue;
      }
      const { features } = prepared;
      decodeMs += prepared.decodeMs;
      backboneMs += prepared.backboneMs;
      if (!grid) grid = { h: features.gridH, w: features.gridW };
      else if (fixedGrid && (grid.h !== features.gridH || grid.w !== features.gridW)) {
        throw new TokenGridMismatchError(
          `Token grid mismatch: got (${features.gridH}, ${features.gridW}), expected (${grid.h}, ${grid.w})`,
          { file: image.name },
        );
      }
      spill ??= new RowSpill(ctx.config.tempDir ?? tmpdir(), features.dim);
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
    let indices: Int32Array;
    let appliedRate = 1;
    let coverRadius = 0;
    if (keepAll || !space) {
      indices = Int32Array.from({ length: n }, (_, i) => i);
    } else {
      const all = new Float32Array(n * space.dim);
      let offset = 0;
      for (const block of projected.splice(0)) {
        all.set(block, offset);
        offset += block.length;
      }
      const selection = kCenterGreedy(all, n, space.dim, input.coresetRate, input.seed, abortFlag);
      indices = selection.indices;
      appliedRate = selection.appliedRate;
      coverRadius = selection.radius;
    }
    const bank = spill.gather(indices);
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
      });
      out.indexBytes = serializeIndex(buildFlatIndex(bank, dim)).slice();
    }
    out.timingsMs.total = performance.now() - started;
    return out;
  } finally {
    spill?.dispose();
  }
}
