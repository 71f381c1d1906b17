// Per-worker LRU of loaded memories (FAISS index + token grid), valid while the artifact files' mtimes match,
// so a new fit written by any process is picked up without cross-thread invalidation.
import { existsSync, readFileSync } from 'node:fs';
import { ArtifactNotFoundError, CorruptArtifactError } from './engine-error';
import { buildFlatIndex, readIndexFile, type FlatIndex } from './faiss-index';
import { decodeMemoryNpz } from './npz';

export interface MemoryArtifactRef {
  npzPath: string;
  npzMtimeMs: number;
  /** null: no index file, the index is rebuilt from the npz rows. */
  indexPath: string | null;
  indexMtimeMs: number | null;
}

export interface LoadedMemory {
  index: FlatIndex;
  m: number;
  dim: number;
  tokenH: number;
  tokenW: number;
  metadata: Record<string, unknown>;
}

interface Entry {
  npzMtimeMs: number;
  indexMtimeMs: number | null;
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
    if (hit && hit.npzMtimeMs === ref.npzMtimeMs && hit.indexMtimeMs === ref.indexMtimeMs) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, hit);
      return hit.memory;
    }
    this.entries.delete(key);
    const memory = loadMemory(ref);
    this.loads++;
    this.entries.set(key, { npzMtimeMs: ref.npzMtimeMs, indexMtimeMs: ref.indexMtimeMs, memory });
    while (this.entries.size > Math.max(1, this.maxEntries)) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return memory;
  }
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
  const npz = decodeMemoryNpz(readArtifact(ref.npzPath), ref.npzPath);
  let index: FlatIndex;
  if (ref.indexPath) {
    if (!existsSync(ref.indexPath)) throw new ArtifactNotFoundError(ref.indexPath);
    index = readIndexFile(ref.indexPath);
    if (index.getDimension() !== npz.dim || index.ntotal() !== npz.m) {
      throw new CorruptArtifactError(
        ref.indexPath,
        `index holds ${index.ntotal()}x${index.getDimension()} vectors but ${ref.npzPath} holds ${npz.m}x${npz.dim}`,
      );
    }
  } else {
    index = buildFlatIndex(npz.emb, npz.dim);
  }
  return { index, m: npz.m, dim: npz.dim, tokenH: npz.tokenH, tokenW: npz.tokenW, metadata: npz.metadata };
}
