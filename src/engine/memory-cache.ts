// Per-worker LRU of loaded memories (FAISS index + token grid), keyed on the model's content version: the SHA-256 of
// the npz bytes, which a fit writes beside the model (`<base>_version.json`) after the npz. Each worker reads that
// small sidecar on every request (opening a file revalidates it even on NFS, where a stat() can be served from the
// attribute cache for seconds), so a model written by any node is picked up on the next request, without
// cross-thread or cross-node invalidation and without relying on mtimes (coarse, or cached on network filesystems).
// Models without a sidecar (legacy, or written by hand) fall back to the files' mtimes.
import { existsSync, readFileSync } from 'node:fs';
import { ArtifactNotFoundError, CorruptArtifactError } from './engine-error';
import { buildFlatIndex, indexFromBytes, type FlatIndex } from './faiss-index';
import { modelVersionOf, readModelVersion } from './model-version';
import { decodeMemoryNpz } from './npz';

export interface MemoryArtifactRef {
  npzPath: string;
  npzMtimeMs: number;
  /** null: no index file, the index is rebuilt from the npz rows. */
  indexPath: string | null;
  indexMtimeMs: number | null;
  /** The npz's content-version sidecar (`<base>_version.json`); absent or missing on disk: mtimes decide. */
  versionPath?: string | null;
}

export interface LoadedMemory {
  index: FlatIndex;
  m: number;
  dim: number;
  tokenH: number;
  tokenW: number;
  metadata: Record<string, unknown>;
  /** `sha256:<hex>` of the npz bytes that were loaded. */
  version: string;
  /** The map view's memory (npz `emb_map`), a flat index built from its rows at load; absent without one. */
  mapIndex?: FlatIndex;
  /** The context view's memory (npz `emb_ctx`), likewise. */
  contextIndex?: FlatIndex;
}

interface Entry {
  npzMtimeMs: number;
  indexMtimeMs: number | null;
  /** The sidecar's version when this entry was loaded (it can lag the npz for the instant between two renames). */
  sidecarSeen: string | null;
  memory: LoadedMemory;
}

export class MemoryCache {
  private readonly entries = new Map<string, Entry>();
  loads = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(ref: MemoryArtifactRef): LoadedMemory {
    const key = `${ref.npzPath}\u0000${ref.indexPath ?? ''}`;
    const hit = this.entries.get(key);
    const sidecar = ref.versionPath ? readModelVersion(ref.versionPath) : null;
    if (hit && isCurrent(hit, ref, sidecar)) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, hit);
      return hit.memory;
    }
    this.entries.delete(key);
    const memory = loadMemory(ref);
    this.loads++;
    this.entries.set(key, { npzMtimeMs: ref.npzMtimeMs, indexMtimeMs: ref.indexMtimeMs, sidecarSeen: sidecar, memory });
    while (this.entries.size > Math.max(1, this.maxEntries)) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return memory;
  }
}

/**
 * An entry is current while neither file's mtime changed (a file rewritten or damaged in place is re-read, so damage
 * is reported, not masked by the cache) AND the sidecar still names what was loaded: a new fit changes the version
 * even where the filesystem's mtimes are too coarse or cached to show it.
 */
function isCurrent(entry: Entry, ref: MemoryArtifactRef, sidecar: string | null): boolean {
  if (entry.npzMtimeMs !== ref.npzMtimeMs || entry.indexMtimeMs !== ref.indexMtimeMs) return false;
  return sidecar === entry.sidecarSeen || (sidecar !== null && sidecar === entry.memory.version);
}

/**
 * Whether a flat L2 index holds exactly `rows` ([m, dim]) in order. FAISS writes an IndexFlat as a header followed
 * by its codes (the raw float32 rows) as the file's last m·dim·4 bytes, so the check is one memory compare.
 */
export function indexHoldsRows(index: FlatIndex, indexBytes: Uint8Array, rows: Float32Array, m: number, dim: number): boolean {
  if (index.getDimension() !== dim || index.ntotal() !== m) return false;
  const codes = rows.byteLength;
  if (indexBytes.byteLength < codes) return false;
  const tail = Buffer.from(indexBytes.buffer, indexBytes.byteOffset + indexBytes.byteLength - codes, codes);
  return tail.equals(Buffer.from(rows.buffer, rows.byteOffset, codes));
}

function readArtifact(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(path);
    throw new CorruptArtifactError(path, (err as Error).message);
  }
}

export function loadMemory(ref: MemoryArtifactRef): LoadedMemory {
  const npzBytes = readArtifact(ref.npzPath);
  const version = modelVersionOf(npzBytes);
  const npz = decodeMemoryNpz(npzBytes, ref.npzPath);
  let index: FlatIndex;
  if (ref.indexPath) {
    if (!existsSync(ref.indexPath)) throw new ArtifactNotFoundError(ref.indexPath);
    const indexBytes = readArtifact(ref.indexPath);
    // An unparsable index is corrupt (named in the error); a readable one that holds other vectors than the npz is
    // stale: a fit writes the index, then the npz, so a crash between the two renames leaves a new index beside
    // the previous npz. The npz is the model; a flat index is rebuilt from its rows in about the time of a read.
    index = indexFromBytes(indexBytes, ref.indexPath);
    if (!indexHoldsRows(index, indexBytes, npz.emb, npz.m, npz.dim)) index = buildFlatIndex(npz.emb, npz.dim);
  } else {
    index = buildFlatIndex(npz.emb, npz.dim);
  }
  const map = npz.map ? { mapIndex: buildFlatIndex(npz.map.emb, npz.map.dim) } : {};
  const context = npz.context ? { contextIndex: buildFlatIndex(npz.context.emb, npz.context.dim) } : {};
  return { index, m: npz.m, dim: npz.dim, tokenH: npz.tokenH, tokenW: npz.tokenW, metadata: npz.metadata, version, ...map, ...context };
}
