// The memory bank file (.npz) exactly as the original's np.savez_compressed writes it, and a tolerant reader of
// what numpy writes: stored or deflated members, <f4/<f8 embeddings, <i8/<i4 scalars, optional <U metadata.
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { CorruptArtifactError } from './engine-error';

/** Coreset rows `emb`, [m, dim] row-major. */
export interface MemoryRows {
  emb: Float32Array;
  m: number;
  dim: number;
}

export interface MemoryNpz extends MemoryRows {
  tokenH: number;
  tokenW: number;
  /** `{coreset_rate, applied_rate}` in files we write; `{}` when absent or unreadable, as the original. */
  metadata: Record<string, unknown>;
  /** The map view's own memory (`emb_map.npy`, profile.mapView), [m, dim]; absent in models without one. The
   *  original's loader reads members by name and ignores it. */
  map?: MemoryRows;
  /** The context view's own memory (`emb_ctx.npy`, profile.contextView), [m, dim]; absent in models without one. */
  context?: MemoryRows;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

/** NPY v1.0 header byte for byte as numpy.lib.format writes it (including the growth-axis padding). */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeRepr = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = header.length + 1;
  const padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ARRAY_ALIGN);
  const total = MAGIC.length + 2 + 2 + hlen + padlen;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, hlen + padlen, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.fill(0x20, 10 + header.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function npyFloat32Matrix(data: Float32Array, rows: number, cols: number): Uint8Array {
  return concat(npyHeader('<f4', [rows, cols]), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export function npyInt64Scalar(value: number): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setBigInt64(0, BigInt(value), true);
  return concat(npyHeader('<i8', []), body);
}

/** 0-d numpy str (<U n, UTF-32LE): numpy reads it back as str, unlike a bytes (S) array. */
export function npyUnicodeScalar(text: string): Uint8Array {
  const codePoints = Array.from(text, (c) => c.codePointAt(0) as number);
  const len = Math.max(1, codePoints.length);
  const body = new Uint8Array(len * 4);
  const view = new DataView(body.buffer);
  codePoints.forEach((cp, i) => view.setUint32(i * 4, cp, true));
  return concat(npyHeader(`<U${len}`, []), body);
}

export function encodeMemoryNpz(memory: Omit<MemoryNpz, 'm'> & { m?: number }, level: 0 | 1 | 6 | 9 = 6): Uint8Array {
  const m = memory.emb.length / memory.dim;
  const files: Zippable = {
    'emb.npy': [npyFloat32Matrix(memory.emb, m, memory.dim), { level }],
    'token_h.npy': [npyInt64Scalar(memory.tokenH), { level }],
    'token_w.npy': [npyInt64Scalar(memory.tokenW), { level }],
    'metadata.npy': [npyUnicodeScalar(JSON.stringify(memory.metadata)), { level }],
  };
  if (memory.map) files['emb_map.npy'] = [npyFloat32Matrix(memory.map.emb, memory.map.m, memory.map.dim), { level }];
  if (memory.context) files['emb_ctx.npy'] = [npyFloat32Matrix(memory.context.emb, memory.context.m, memory.context.dim), { level }];
  return zipSync(files);
}

interface NpyArray {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  body: Uint8Array;
}

function parseNpy(bytes: Uint8Array, file: string, member: string): NpyArray {
  const bad = (why: string): never => {
    throw new CorruptArtifactError(file, `${member}: ${why}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) bad('not an NPY array');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart = 10;
  let headerLen: number;
  if (major === 1) headerLen = view.getUint16(8, true);
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) bad('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else return bad(`unsupported NPY version ${major}`);
  if (headerStart + headerLen > bytes.length) bad('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return bad(`unreadable header ${JSON.stringify(header.trim())}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((v) => !Number.isInteger(v) || v < 0)) bad(`bad shape (${shapeText})`);
  return { descr, fortranOrder: fortran === 'True', shape, body: bytes.subarray(headerStart + headerLen) };
}

function itemSize(descr: string): number {
  const m = /^[<>|=]?[a-zA-Z](\d+)$/.exec(descr);
  if (!m) return 0;
  return descr.includes('U') ? Number(m[1]) * 4 : Number(m[1]);
}

function readEmb(arr: NpyArray, file: string, member = 'emb.npy'): MemoryRows {
  if (arr.shape.length !== 2) throw new CorruptArtifactError(file, `${member}: expected 2-D, got shape (${arr.shape.join(', ')})`);
  const [m, dim] = arr.shape;
  const count = m * dim;
  const size = itemSize(arr.descr);
  if (arr.descr !== '<f4' && arr.descr !== '<f8') throw new CorruptArtifactError(file, `${member}: unsupported dtype ${arr.descr}`);
  if (arr.body.length < count * size) throw new CorruptArtifactError(file, `${member}: truncated (${arr.body.length} of ${count * size} bytes)`);
  const raw = arr.body.slice(0, count * size); // copy: aligned and detached from the zip buffer
  let values: Float32Array = arr.descr === '<f4' ? new Float32Array(raw.buffer) : Float32Array.from(new Float64Array(raw.buffer));
  if (arr.fortranOrder && m > 1 && dim > 1) {
    const c = new Float32Array(count);
    for (let i = 0; i < m; i++) for (let j = 0; j < dim; j++) c[i * dim + j] = values[j * m + i];
    values = c;
  }
  return { emb: values, m, dim };
}

function readIntScalar(arr: NpyArray, file: string, member: string): number {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== 1) throw new CorruptArtifactError(file, `${member}: expected a scalar, got shape (${arr.shape.join(', ')})`);
  const view = new DataView(arr.body.buffer, arr.body.byteOffset, arr.body.byteLength);
  const need = itemSize(arr.descr);
  if (need === 0 || arr.body.length < need) throw new CorruptArtifactError(file, `${member}: truncated`);
  switch (arr.descr) {
    case '<i8':
      return Number(view.getBigInt64(0, true));
    case '<u8':
      return Number(view.getBigUint64(0, true));
    case '<i4':
      return view.getInt32(0, true);
    case '<u4':
      return view.getUint32(0, true);
    default:
      throw new CorruptArtifactError(file, `${member}: unsupported dtype ${arr.descr}`);
  }
}

function readMetadata(arr: NpyArray): Record<string, unknown> {
  // Like the original: anything but a JSON object in a str scalar reads as {}.
  const m = /^<U(\d+)$/.exec(arr.descr);
  if (!m || arr.shape.length !== 0) return {};
  const len = Number(m[1]);
  if (arr.body.length < len * 4) return {};
  const view = new DataView(arr.body.buffer, arr.body.byteOffset, arr.body.byteLength);
  let text = '';
  for (let i = 0; i < len; i++) {
    const cp = view.getUint32(i * 4, true);
    if (cp === 0) break; // numpy strips trailing NULs
    if (cp > 0x10ffff) return {};
    text += String.fromCodePoint(cp);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `file` names the artifact in errors. */
export function decodeMemoryNpz(bytes: Uint8Array, file: string): MemoryNpz {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (err) {
    throw new CorruptArtifactError(file, `not a readable npz/zip archive (${(err as Error).message})`);
  }
  const get = (name: string): NpyArray | null => {
    const body = members[name] ?? members[name.replace(/\.npy$/, '')];
    return body ? parseNpy(body, file, name) : null;
  };
  const emb = get('emb.npy');
  const th = get('token_h.npy');
  const tw = get('token_w.npy');
  if (!emb) throw new CorruptArtifactError(file, 'missing emb.npy');
  if (!th || !tw) throw new CorruptArtifactError(file, 'missing token_h.npy / token_w.npy');
  const { emb: values, m, dim } = readEmb(emb, file);
  const meta = get('metadata.npy');
  const map = get('emb_map.npy');
  const context = get('emb_ctx.npy');
  return {
    emb: values,
    m,
    dim,
    tokenH: readIntScalar(th, file, 'token_h.npy'),
    tokenW: readIntScalar(tw, file, 'token_w.npy'),
    metadata: meta ? readMetadata(meta) : {},
    ...(map ? { map: readEmb(map, file, 'emb_map.npy') } : {}),
    ...(context ? { context: readEmb(context, file, 'emb_ctx.npy') } : {}),
  };
}
