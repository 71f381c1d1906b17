// ModelStore: the only owner of paths under BDI_MODELS_DIR. Layout, legacy read fallbacks and dataset folders as
// the original (reference §0.7, §0.8, §2); writes only into the recipe's own folder, always via writeFileAtomic().
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { sweepStaleTempFiles, writeFileAtomic, syncDirectory } from './atomic-write';
import { modelVersionOf, modelVersionPath } from '../engine/model-version';
import { LocalModelLock, MODEL_LOCK, ModelLease, ModelLock } from './model-lock';
import {
  baseName,
  IMAGE_EXTENSIONS,
  isSafeFileName,
  isSafeSegment,
  legacySanitize,
  pathSuffix,
  sampleStem,
  sanitizeModelKey,
  storedExtension,
} from './model-paths';
import { PyFloat, pythonFloatRepr, pythonJsonDumps, pythonUtcIso } from './python-float';
import { DEFAULT_RECIPE } from '../common/wire/recipe-id';

export type ArtifactKind = 'memory' | 'index' | 'calib';
/** Where a read found an artifact: the recipe's own folder, or one of the original's read fallbacks. */
export type ModelSource = 'recipe' | 'recipe_case_insensitive' | 'default_recipe' | 'legacy_layout';
export type DatasetLabel = 'ok' | 'ng';
export const DATASET_LABELS: readonly DatasetLabel[] = ['ok', 'ng'];

/** One model: recipe (normalised), raw role/ROI ids, and the effective model key (`model_key || roi_id`, raw). */
export interface ModelRef {
  recipeId: string;
  roleId: string;
  roiId: string;
  modelKey: string;
}

export interface FileStats {
  size: number;
  mtimeMs: number;
  mtimeUtc: string;
}

export interface ResolvedArtifact {
  kind: ArtifactKind;
  /** Where a write would go (layout 1). */
  expectedPath: string;
  /** First existing candidate, or null. */
  path: string | null;
  /** Which candidate `path` is (null when not found). */
  source: ModelSource | null;
  stats: FileStats | null;
  probed: Array<{ path: string; exists: boolean }>;
}

export interface DatasetBase {
  path: string;
  /** True when it is the recipe's own folder (layout 1): the only one this service deletes from. */
  own: boolean;
}

export interface SampleToSave {
  bytes: Uint8Array;
  clientFileName?: string;
  meta: Record<string, unknown>;
}

const SUFFIX: Record<ArtifactKind, string> = { memory: '.npz', index: '_index.faiss', calib: '_calib.json' };
const LEGACY_DIR_FILE: Record<ArtifactKind, string> = { memory: 'memory.npz', index: 'index.faiss', calib: 'calib.json' };
const MM_TOLERANCE = 1e-6;
/** NAME_MAX of ext4, XFS, NTFS, APFS. */
const MAX_NAME_BYTES = 255;

export function utcIsoFromMs(ms: number): string {
  return pythonUtcIso(Math.round(ms * 1000));
}

/** Microseconds since the epoch from the high-resolution clock. */
function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

const JSON_TEXT_CACHE_MAX = 512;
const VERIFIED_FILES_MAX = 4096;

/** What identifies one version of a file: atomic writes replace the inode, in-place writes move mtime/ctime. */
function fileIdentity(stats: fs.Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

@Injectable()
export class ModelStore implements OnModuleInit {
  readonly root: string;
  private readonly locks: ModelLock;
  private readonly nodeId: string;
  private lastSampleMicros = 0;
  /** Small JSON files (calib, recipe meta) read on every /infer: text kept per path with the file's identity. */
  private readonly jsonTexts = new Map<string, { identity: string; text: string }>();
  /** Regular files whose every path component lstatChain checked, with the identity seen then (verifiedFileStats). */
  private readonly verifiedFiles = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(ROOT_LOGGER) private readonly logger?: Logger,
    @Optional() @Inject(MODEL_LOCK) locks?: ModelLock,
  ) {
    this.root = path.resolve(config.storage.modelsDir);
    this.nodeId = config.jobs?.nodeId ?? `${process.pid}`;
    this.locks = locks ?? new LocalModelLock();
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Boot: removes the temp files of writes that a crash (kill -9, power loss) interrupted. */
  async onModuleInit(): Promise<void> {
    await this.sweepTempFiles();
  }

  /** Temp files of interrupted atomic writes, older than this process, anywhere under the root (no symlinks followed). */
  async sweepTempFiles(): Promise<string[]> {
    const removed = await sweepStaleTempFiles(this.root, performance.timeOrigin);
    if (removed.length > 0) {
      this.logger?.warn({ removed: removed.map((f) => path.relative(this.root, f)) }, `removed ${removed.length} temp file(s) left by an interrupted write`);
    }
    return removed;
  }

  // ---------------------------------------------------------------- paths

  recipeDir(recipeId: string): string {
    return this.inside(path.join(this.root, 'recipes', recipeId));
  }

  modelDir(recipeId: string, modelKey: string): string {
    return this.inside(path.join(this.recipeDir(recipeId), sanitizeModelKey(modelKey)));
  }

  /** Layout-1 path of an artifact: where writes go. */
  artifactPath(ref: ModelRef, kind: ArtifactKind): string {
    return path.join(this.modelDir(ref.recipeId, ref.modelKey), `${baseName(ref.roleId, ref.roiId)}${SUFFIX[kind]}`);
  }

  ownDatasetBase(recipeId: string, roleId: string, roiId: string): string {
    return path.join(this.recipeDir(recipeId), 'datasets', baseName(roleId, roiId));
  }

  recipeMetaPath(recipeId: string): string {
    return path.join(this.recipeDir(recipeId), 'recipe_meta.json');
  }

  // ---------------------------------------------------------------- reads with fallbacks (reference §0.8)

  /** Each artifact is resolved on its own: recipe → case-insensitive recipe dir → default → flat legacy → dir legacy. */
  async resolveArtifact(ref: ModelRef, kind: ArtifactKind): Promise<ResolvedArtifact> {
    const expectedPath = this.artifactPath(ref, kind);
    // The recipe's own file first: when it exists (every fitted model) no fallback is looked at, and the
    // case-insensitive recipe scan (a readdir) is skipped.
    const ownStats = await this.fileStats(expectedPath);
    if (ownStats) return { kind, expectedPath, path: expectedPath, source: 'recipe', stats: ownStats, probed: [{ path: expectedPath, exists: true }] };
    const candidates: Array<{ path: string; source: ModelSource }> = [];
    const fileName = `${baseName(ref.roleId, ref.roiId)}${SUFFIX[kind]}`;
    const mk = sanitizeModelKey(ref.modelKey);
    if (ref.recipeId !== DEFAULT_RECIPE) {
      const other = await this.caseInsensitiveRecipeDir(ref.recipeId);
      if (other) candidates.push({ path: path.join(this.root, 'recipes', other, mk, fileName), source: 'recipe_case_insensitive' });
      candidates.push({ path: path.join(this.root, 'recipes', DEFAULT_RECIPE, mk, fileName), source: 'default_recipe' });
    }
    const role = legacySanitize(ref.roleId);
    const roi = legacySanitize(ref.roiId);
    candidates.push({ path: path.join(this.root, `${role}_${roi}${SUFFIX[kind]}`), source: 'legacy_layout' });
    candidates.push({ path: path.join(this.root, role, roi, LEGACY_DIR_FILE[kind]), source: 'legacy_layout' });
    const probed: ResolvedArtifact['probed'] = [{ path: expectedPath, exists: false }];
    for (const candidate of candidates) {
      const stats = await this.fileStats(candidate.path);
      probed.push({ path: candidate.path, exists: stats !== null });
      if (stats) return { kind, expectedPath, path: candidate.path, source: candidate.source, stats, probed };
    }
    return { kind, expectedPath, path: null, source: null, stats: null, probed };
  }

  /** Dataset base: own → case-insensitive recipe dir → default → `<root>/datasets/<role>/<roi>` (raw ids, when safe). */
  async resolveDatasetBase(recipeId: string, roleId: string, roiId: string): Promise<DatasetBase | null> {
    const own = this.ownDatasetBase(recipeId, roleId, roiId);
    if (await this.isDirectory(own)) return { path: own, own: true };
    const base = baseName(roleId, roiId);
    const fallbacks: string[] = [];
    if (recipeId !== DEFAULT_RECIPE) {
      const other = await this.caseInsensitiveRecipeDir(recipeId);
      if (other) fallbacks.push(path.join(this.root, 'recipes', other, 'datasets', base));
      fallbacks.push(path.join(this.root, 'recipes', DEFAULT_RECIPE, 'datasets', base));
    }
    // The original joined the raw ids here; ids that are not plain segments could leave the models dir: skipped.
    if (isSafeSegment(roleId) && isSafeSegment(roiId)) fallbacks.push(path.join(this.root, 'datasets', roleId, roiId));
    for (const candidate of fallbacks) {
      if (await this.isDirectory(candidate)) return { path: candidate, own: false };
    }
    return null;
  }

  /** Class folders of a dataset base: sorted image file names and whether each has a `<stem>.json`. */
  async listDataset(base: DatasetBase | null): Promise<Partial<Record<DatasetLabel, { files: string[]; meta: Record<string, boolean> }>>> {
    const classes: Partial<Record<DatasetLabel, { files: string[]; meta: Record<string, boolean> }>> = {};
    if (!base) return classes;
    for (const label of DATASET_LABELS) {
      const dir = path.join(base.path, label);
      if (!(await this.isDirectory(dir))) continue;
      const entries = await fsp.readdir(dir, { withFileTypes: true });
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      const files = [...names].filter((n) => IMAGE_EXTENSIONS.has(pathSuffix(n))).sort(compareCodePoints);
      const meta: Record<string, boolean> = {};
      for (const f of files) meta[f] = names.has(`${stemOf(f)}.json`);
      classes[label] = { files, meta };
    }
    return classes;
  }

  async listImages(base: DatasetBase | null, label: DatasetLabel): Promise<string[]> {
    return (await this.listDataset(base))[label]?.files ?? [];
  }

  /** Path of one sample file inside a dataset base; the name must be a bare file name. */
  sampleFilePath(base: DatasetBase, label: DatasetLabel, fileName: string): string {
    if (!isSafeFileName(fileName)) throw new ApiError('invalid_filename', undefined, { filename: fileName });
    const dir = path.join(base.path, label);
    const file = path.join(dir, fileName);
    if (path.dirname(file) !== dir) throw new ApiError('invalid_filename', undefined, { filename: fileName });
    return file;
  }

  sampleMetaPath(base: DatasetBase, label: DatasetLabel, fileName: string): string {
    return this.sampleFilePath(base, label, `${stemOf(fileName)}.json`);
  }

  // ---------------------------------------------------------------- file probes (symlinks refused)

  /** Stats of a regular file, null if absent; any symlink on the way (below the root) → unsafe_path. */
  async fileStats(file: string): Promise<FileStats | null> {
    const stats = await this.verifiedFileStats(file);
    if (!stats || !stats.isFile()) return null;
    return { size: stats.size, mtimeMs: stats.mtimeMs, mtimeUtc: utcIsoFromMs(stats.mtimeMs) };
  }

  async isDirectory(dir: string): Promise<boolean> {
    const stats = await this.lstatChain(dir);
    return stats !== null && stats.isDirectory();
  }

  async readFile(file: string): Promise<Buffer> {
    if (!(await this.fileStats(file))) throw new ApiError('file_not_found', undefined, { path: path.basename(file) });
    return fsp.readFile(file);
  }

  /** A JSON file written by either producer (Python `1.0`, `NaN`/`Infinity` literals are accepted). */
  async readJson(file: string): Promise<Record<string, unknown>> {
    const text = await this.readJsonText(file);
    const parsed = parseLenientJson(text);
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ApiError('corrupt_artifact', `Corrupt JSON file ${path.relative(this.root, file)}`, { file: path.relative(this.root, file) });
    }
    return parsed as Record<string, unknown>;
  }

  /**
   * The file's text, reused while its identity (inode, size, mtime, ctime from the lstat every read does anyway)
   * is unchanged: atomic writes replace the inode, in-place writes move mtime/ctime. Saves the open/fstat/read/close
   * round trips through the thread pool that each /infer paid for the calib and recipe JSON (issue 15). The text,
   * not the parsed object, is kept: callers get their own object.
   */
  private async readJsonText(file: string): Promise<string> {
    const stats = await this.verifiedFileStats(file);
    if (!stats || !stats.isFile()) throw new ApiError('file_not_found', undefined, { path: path.basename(file) });
    const identity = fileIdentity(stats);
    const cached = this.jsonTexts.get(file);
    if (cached && cached.identity === identity) return cached.text;
    const text = (await fsp.readFile(file)).toString('utf8');
    if (this.jsonTexts.size >= JSON_TEXT_CACHE_MAX) this.jsonTexts.clear();
    this.jsonTexts.set(file, { identity, text });
    return text;
  }

  // ---------------------------------------------------------------- writes (own folder only, atomic)

  async writeJson(file: string, value: unknown): Promise<void> {
    await this.ensureDirectory(path.dirname(file));
    this.verifiedFiles.delete(file);
    await writeFileAtomic(file, `${pythonJsonDumps(value)}`);
  }

  async writeBytes(file: string, bytes: Uint8Array): Promise<void> {
    await this.ensureDirectory(path.dirname(file));
    this.verifiedFiles.delete(file);
    await writeFileAtomic(file, bytes);
  }

  /**
   * Index first, then the memory bank, then its content version (`<base>_version.json`, the npz's SHA-256): a crash
   * never leaves an npz without its index, and every worker of every node keys its loaded model on that version
   * (see memory-cache.ts), so a model written by one node is served by the others on their next request.
   */
  async writeModel(
    ref: ModelRef,
    files: { indexBytes: Uint8Array | null; npzBytes: Uint8Array },
  ): Promise<{ memoryPath: string; indexPath: string | null; version: string }> {
    const indexPath = files.indexBytes ? this.artifactPath(ref, 'index') : null;
    if (indexPath && files.indexBytes) await this.writeBytes(indexPath, files.indexBytes);
    const memoryPath = this.artifactPath(ref, 'memory');
    await this.writeBytes(memoryPath, files.npzBytes);
    const version = modelVersionOf(files.npzBytes);
    await writeFileAtomic(modelVersionPath(memoryPath), JSON.stringify({ version, node: this.nodeId, written_at_utc: pythonUtcIso(nowMicros()) }));
    return { memoryPath, indexPath, version };
  }

  /**
   * Fit and calibration of one model never overlap (per recipe, model key and role/ROI): in this process, and with
   * BDI_REDIS_URL set across every node sharing the models directory (a lease in Redis, see redis-model-lock.ts).
   * Work that writes should call `lease.assertHeld()` right before writing.
   */
  withModelLock<T>(ref: ModelRef, work: (lease: ModelLease) => Promise<T>): Promise<T> {
    return this.locks.runExclusive(`model:${path.relative(this.root, this.artifactPath(ref, 'memory'))}`, work);
  }

  /**
   * The per-recipe mm_per_px lock (`recipe_meta.json`): created on first use, then every value must match within
   * 1e-6 (relative) or 409. Serialised per recipe so two first requests cannot both create it.
   */
  async ensureMmPerPx(recipeId: string, mmPerPx: number): Promise<void> {
    const file = this.recipeMetaPath(recipeId);
    const read = async (): Promise<{ existing: Record<string, unknown> | null; matches: boolean }> => {
      const existing = (await this.fileStats(file)) ? await this.readJson(file) : null;
      const expected = existing?.mm_per_px;
      if (!existing || typeof expected !== 'number' || !Number.isFinite(expected)) return { existing, matches: false };
      const tolerance = MM_TOLERANCE * Math.max(1, Math.abs(expected), Math.abs(mmPerPx));
      if (Math.abs(expected - mmPerPx) <= tolerance) return { existing, matches: true };
      throw new ApiError(
        'mm_per_px_mismatch',
        `mm_per_px mismatch for recipe '${recipeId}': expected ${pythonFloatRepr(expected)}, got ${pythonFloatRepr(mmPerPx)}`,
        { recipe_id: recipeId, expected, got: mmPerPx },
      );
    };
    // The common case (the file exists and matches) reads without the lock: /infer never waits on it (nor on Redis).
    if ((await read()).matches) return;
    await this.locks.runExclusive(`recipe-meta:${path.relative(this.root, file)}`, async (lease) => {
      const { existing, matches } = await read();
      if (matches) return;
      const next: Record<string, unknown> = { ...(existing ?? {}) };
      next.mm_per_px = new PyFloat(mmPerPx);
      if (typeof next.created_at_utc !== 'string') next.created_at_utc = pythonUtcIso(nowMicros());
      lease.assertHeld();
      if (!existing) {
        await this.writeJson(file, { mm_per_px: new PyFloat(mmPerPx), created_at_utc: next.created_at_utc });
      } else {
        await this.writeJson(file, floatify(next, ['mm_per_px']));
      }
    });
  }

  /**
   * Writes samples into the recipe's own dataset folder under server-generated chronological names
   * (`YYYYMMDD-HHMMSS-ffffff.<ext>`, UTC, unique per process even within one microsecond) with their `<stem>.json`.
   */
  async saveSamples(recipeId: string, roleId: string, roiId: string, label: DatasetLabel, samples: SampleToSave[]): Promise<string[]> {
    const dir = path.join(this.ownDatasetBase(recipeId, roleId, roiId), label);
    await this.ensureDirectory(dir);
    const saved: string[] = [];
    for (const sample of samples) {
      const ext = storedExtension(sample.clientFileName);
      const micros = await this.uniqueSampleMicros(dir, ext);
      const name = `${sampleStem(micros)}${ext}`;
      const meta: Record<string, unknown> = {
        ...sample.meta,
      };
      const defaults: Record<string, unknown> = {
        role_id: roleId,
        roi_id: roiId,
        label,
        filename: name,
        // The client's file name: every later message about this sample uses it (names are server-generated).
        original_filename: sample.clientFileName ?? null,
        recipe_id: recipeId,
        created_at_utc: pythonUtcIso(nowMicros()),
      };
      for (const [key, value] of Object.entries(defaults)) if (!(key in meta)) meta[key] = value;
      // Meta first: the image is what makes a sample listed, so a crash between the two writes leaves an unlisted
      // meta rather than a listed image without its mm_per_px/shape.
      try {
        await writeFileAtomic(path.join(dir, `${stemOf(name)}.json`), pythonJsonDumps(meta));
        await writeFileAtomic(path.join(dir, name), sample.bytes);
      } catch (error) {
        // All or nothing per request (e.g. the disk filled up half-way): remove what this request already stored.
        for (const stored of [...saved, name]) {
          await fsp.rm(path.join(dir, stored), { force: true });
          await fsp.rm(path.join(dir, `${stemOf(stored)}.json`), { force: true });
        }
        throw error;
      }
      saved.push(name);
    }
    return saved;
  }

  /** Deletes an image and its `<stem>.json` from an own dataset base. */
  async deleteSample(base: DatasetBase, label: DatasetLabel, fileName: string): Promise<boolean> {
    const file = this.sampleFilePath(base, label, fileName);
    const metaFile = this.sampleMetaPath(base, label, fileName);
    let deleted = false;
    this.verifiedFiles.delete(file);
    this.verifiedFiles.delete(metaFile);
    if (await this.fileStats(file)) {
      await fsp.rm(file, { force: true });
      deleted = true;
    }
    if (await this.fileStats(metaFile)) await fsp.rm(metaFile, { force: true });
    if (deleted) await syncDirectory(path.dirname(file));
    return deleted;
  }

  /** Deletes every regular file of one class folder (images and metas); returns how many. */
  async clearClass(base: DatasetBase, label: DatasetLabel): Promise<number> {
    const dir = path.join(base.path, label);
    if (!(await this.isDirectory(dir))) return 0;
    let cleared = 0;
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      this.verifiedFiles.delete(path.join(dir, entry.name));
      await fsp.rm(path.join(dir, entry.name), { force: true });
      cleared++;
    }
    await syncDirectory(dir);
    return cleared;
  }

  // ---------------------------------------------------------------- internals

  private async uniqueSampleMicros(dir: string, ext: string): Promise<number> {
    let micros = Math.max(nowMicros(), this.lastSampleMicros + 1);
    // Another process sharing the models dir could have used the name: never overwrite a sample.
    while (fs.existsSync(path.join(dir, `${sampleStem(micros)}${ext}`))) micros++;
    this.lastSampleMicros = micros;
    return micros;
  }

  /**
   * lstatChain for a file probed on every /infer (recipe meta, memory, index, calib), at the cost of one lstat while
   * the file keeps the identity it had when its whole chain was last checked. Another process's refit or removal
   * changes the identity (atomic writes rename a new inode in) or makes the lstat fail, and the full chain runs
   * again; a component swapped for a symlink leads the lstat to another inode, which the full chain then refuses.
   */
  private async verifiedFileStats(file: string): Promise<fs.Stats | null> {
    const known = this.verifiedFiles.get(file);
    if (known !== undefined) {
      let stats: fs.Stats | undefined;
      try {
        stats = fs.lstatSync(file, { throwIfNoEntry: false });
      } catch {
        stats = undefined; // ENOTDIR and the like: the chain below says what it is
      }
      if (stats?.isFile() && fileIdentity(stats) === known) return stats;
      this.verifiedFiles.delete(file);
    }
    const stats = await this.lstatChain(file);
    if (stats?.isFile()) {
      if (this.verifiedFiles.size >= VERIFIED_FILES_MAX) this.verifiedFiles.clear();
      this.verifiedFiles.set(file, fileIdentity(stats));
    }
    return stats;
  }

  /** mkdir -p that refuses to create anything through a symlink. */
  private async ensureDirectory(dir: string): Promise<void> {
    await this.lstatChain(dir);
    await fsp.mkdir(dir, { recursive: true });
  }

  private async caseInsensitiveRecipeDir(recipeId: string): Promise<string | null> {
    const recipesDir = path.join(this.root, 'recipes');
    if (!(await this.isDirectory(recipesDir))) return null;
    // Sorted for a deterministic pick (the original used the filesystem's iteration order).
    // Synchronous like lstatChain: on every /infer of a non-default recipe.
    const entries = fs
      .readdirSync(recipesDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(compareCodePoints);
    return entries.find((name) => name.toLowerCase() === recipeId && name !== recipeId) ?? null;
  }

  /**
   * lstat of every component below the root; a symlink anywhere → unsafe_path; a missing component → null.
   * Synchronous on purpose: an /infer probes a dozen components, each an in-memory dentry lookup of a few µs, while
   * the promise API costs more main-thread time per call than the syscall (promise, thread-pool hop, queued behind
   * sharp's work in the same libuv pool) — it was the main thread's top self-time entry under load (issue 15).
   */
  private async lstatChain(target: string): Promise<fs.Stats | null> {
    const relative = path.relative(this.root, this.inside(target));
    if (relative === '') return fs.lstatSync(this.root);
    let current = this.root;
    let stats: fs.Stats | undefined;
    for (const part of relative.split(path.sep)) {
      current = path.join(current, part);
      try {
        stats = fs.lstatSync(current, { throwIfNoEntry: false });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
        throw error;
      }
      if (stats === undefined) return null;
      if (stats.isSymbolicLink()) {
        throw new ApiError('unsafe_path', undefined, { path: path.relative(this.root, current) });
      }
    }
    return stats ?? null;
  }

  private inside(target: string): string {
    const resolved = path.resolve(target);
    const relative = path.relative(this.root, resolved);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new ApiError('unsafe_path', 'Path escapes the models directory', null);
    }
    // Ids become (encoded) file names: one longer than the filesystem allows would fail with ENAMETOOLONG (a 500).
    const tooLong = relative.split(path.sep).find((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES);
    if (tooLong !== undefined) throw new ApiError('name_too_long', undefined, { max_bytes: MAX_NAME_BYTES, name_bytes: Buffer.byteLength(tooLong) });
    return resolved;
  }
}

export function stemOf(fileName: string): string {
  const suffix = pathSuffix(fileName);
  return suffix === '' ? fileName : fileName.slice(0, fileName.length - suffix.length);
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function floatify(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out = { ...value };
  for (const key of keys) if (typeof out[key] === 'number') out[key] = new PyFloat(out[key] as number);
  return out;
}

/** JSON.parse that also takes Python's NaN / Infinity literals (outside strings); undefined when unparsable. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|-?\bInfinity\b|\bNaN\b/g, (m, str: string | undefined) => str ?? 'null'));
    } catch {
      return undefined;
    }
  }
}
