// Exact L2 index over the memory bank (FAISS IndexFlatL2), and its (de)serialisation. The file layout is FAISS's
// own, so indexes stay readable by the Python original.
import { IndexFlatL2 } from 'faiss-node';
import { CorruptArtifactError, FaissError } from './engine-error';

export type FlatIndex = IndexFlatL2;

/** bank: [m, dim] row-major. */
export function buildFlatIndex(bank: Float32Array, dim: number): FlatIndex {
  if (dim <= 0 || bank.length === 0 || bank.length % dim !== 0) {
    throw new FaissError(`Memory bank of ${bank.length} floats is not a non-empty [m, ${dim}] matrix`);
  }
  try {
    const index = new IndexFlatL2(dim);
    index.add(bank);
    return index;
  } catch (err) {
    throw new FaissError(`Could not build the FAISS index: ${(err as Error).message}`);
  }
}

export function serializeIndex(index: FlatIndex): Uint8Array {
  try {
    const buf = index.toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw new FaissError(`Could not serialise the FAISS index: ${(err as Error).message}`);
  }
}

export function indexFromBytes(bytes: Uint8Array, name = '<buffer>'): FlatIndex {
  try {
    return IndexFlatL2.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new CorruptArtifactError(name, `not a FAISS index (${(err as Error).message})`);
  }
}

export function readIndexFile(path: string): FlatIndex {
  try {
    return IndexFlatL2.read(path);
  } catch (err) {
    throw new CorruptArtifactError(path, `not a readable FAISS index (${(err as Error).message})`);
  }
}

export function writeIndexFile(index: FlatIndex, path: string): void {
  try {
    index.write(path);
  } catch (err) {
    throw new FaissError(`Could not write the FAISS index ${path}: ${(err as Error).message}`, { path });
  }
}
