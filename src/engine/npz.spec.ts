import { unzipSync, zipSync } from 'fflate';
import { CorruptArtifactError } from './engine-error';
import { decodeMemoryNpz, encodeMemoryNpz, npyHeader, npyInt64Scalar } from './npz';

// Written by numpy 2.4: np.savez_compressed(emb=arange(6,f4).reshape(2,3)/7, token_h=int64(2), token_w=int64(3),
// metadata=np.array(json.dumps({"coreset_rate": 0.1, "applied_rate": 1.0}))) — deflated, zip64 local headers.
const NUMPY_COMPRESSED =
  'UEsDBC0AAAAIAAAAIQCKKGRz//////////8HABQAZW1iLm5weQEAEACYAAAAAAAAAFwAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoq6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaRjoKxpo6CrUKZAMuBiBQ9RSyU/WcZLc99zaQFrLPu21mDwBQSwMELQAAAAgAAAAhAEe2ECT//////////wsAFAB0b2tlbl9oLm5weQEAEACIAAAAAAAAAEYAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkamjoKtQoUAS4mBggAAFBLAwQtAAAACAAAACEA2ba66P//////////CwAUAHRva2VuX3cubnB5AQAQAIgAAAAAAAAARgAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2mhrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RqaOgq1ChQBLmYGCAAAUEsDBC0AAAAIAAAAIQAMnjIf//////////8MABQAbWV0YWRhdGEubnB5AQAQACgBAAAAAAAAhwAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuE2pipK6joJ6WX1RSlJgXn1+UkgqScEvMKU4FihdnJBakAvkamjoKtQqUAK5qBgYGJSBOBuJ8IC4C4lQgLobSJUAcDxVPhPJToXqsgFgBiA2AWA+IDYFYByqmBFVfAMU5QJwJ1ZtChJmGUDNBZtcCMQBQSwECLQMtAAAACAAAACEAiihkc1wAAACYAAAABwAAAAAAAAAAAAAAgAEAAAAAZW1iLm5weVBLAQItAy0AAAAIAAAAIQBHthAkRgAAAIgAAAALAAAAAAAAAAAAAACAAZUAAAB0b2tlbl9oLm5weVBLAQItAy0AAAAIAAAAIQDZtrroRgAAAIgAAAALAAAAAAAAAAAAAACAARgBAAB0b2tlbl93Lm5weVBLAQItAy0AAAAIAAAAIQAMnjIfhwAAACgBAAAMAAAAAAAAAAAAAACAAZsBAABtZXRhZGF0YS5ucHlQSwUGAAAAAAQABADhAAAAYAIAAAAA';
// np.savez (stored): emb=arange(6, f8).reshape(2,3), token_h=int32(2), token_w=int32(3), no metadata.
const NUMPY_STORED =
  'UEsDBC0AAAAAAAAAIQDwzTtG//////////8HABQAZW1iLm5weQEAEACwAAAAAAAAALAAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEAAAAAAAAAIQAAAAAAAABBAAAAAAAAAFEBQSwMELQAAAAAAAAAhAD7db4P//////////wsAFAB0b2tlbl9oLm5weQEAEACEAAAAAAAAAIQAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoCAAAAUEsDBC0AAAAAAAAAIQBbutM7//////////8LABQAdG9rZW5fdy5ucHkBABAAhAAAAAAAAACEAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAwAAAFBLAQItAy0AAAAAAAAAIQDwzTtGsAAAALAAAAAHAAAAAAAAAAAAAACAAQAAAABlbWIubnB5UEsBAi0DLQAAAAAAAAAhAD7db4OEAAAAhAAAAAsAAAAAAAAAAAAAAIAB6QAAAHRva2VuX2gubnB5UEsBAi0DLQAAAAAAAAAhAFu60zuEAAAAhAAAAAsAAAAAAAAAAAAAAIABqgEAAHRva2VuX3cubnB5UEsFBgAAAAADAAMApwAAAGsCAAAAAA==';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('npz codec', () => {
  it('writes NPY v1.0 headers byte for byte as numpy (64-byte aligned, growth-axis padding)', () => {
    const h = npyHeader('<f4', [2, 3]);
    expect(h.length).toBe(128);
    expect(latin1(h.subarray(0, 8))).toBe('\x93NUMPY\x01\x00');
    expect(h[8] | (h[9] << 8)).toBe(118);
    expect(latin1(h.subarray(10))).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }${' '.repeat(20)}${' '.repeat(38)}\n`);
    expect(latin1(npyHeader('<i8', []).subarray(10)).trimEnd()).toBe("{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
    expect(npyHeader('<i8', []).length).toBe(128);
    expect(npyInt64Scalar(32).subarray(128)).toEqual(Uint8Array.from([32, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('round-trips emb, token grid and metadata', () => {
    const emb = Float32Array.from([0.5, -1, 2.25, 3, 4, 5.5]);
    const bytes = encodeMemoryNpz({ emb, dim: 3, tokenH: 32, tokenW: 31, metadata: { coreset_rate: 0.1, applied_rate: 0.25, note: 'ñ😀' } });
    const back = decodeMemoryNpz(bytes, 'mem.npz');
    expect(Array.from(back.emb)).toEqual(Array.from(emb));
    expect([back.m, back.dim, back.tokenH, back.tokenW]).toEqual([2, 3, 32, 31]);
    expect(back.metadata).toEqual({ coreset_rate: 0.1, applied_rate: 0.25, note: 'ñ😀' });
  });

  it("round-trips the map view's rows as emb_map.npy; files without one (the original's) have none", () => {
    const map = { emb: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), m: 2, dim: 4 };
    const bytes = encodeMemoryNpz({ emb: new Float32Array(6), dim: 3, tokenH: 1, tokenW: 2, metadata: {}, map });
    expect(Object.keys(unzipSync(bytes)).sort()).toEqual(['emb.npy', 'emb_map.npy', 'metadata.npy', 'token_h.npy', 'token_w.npy']);
    const back = decodeMemoryNpz(bytes, 'mem.npz');
    expect([back.map?.m, back.map?.dim, Array.from(back.map?.emb ?? [])]).toEqual([2, 4, [1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(decodeMemoryNpz(Buffer.from(NUMPY_COMPRESSED, 'base64'), 'py.npz').map).toBeUndefined();
    const shortMap = zipSync({ 'emb.npy': encodeEmb(), 'emb_map.npy': encodeEmb().subarray(0, 130), 'token_h.npy': npyInt64Scalar(1), 'token_w.npy': npyInt64Scalar(1) });
    expect(() => decodeMemoryNpz(shortMap, 'short.npz')).toThrow('emb_map.npy: truncated');
  });

  it("round-trips the context view's rows as emb_ctx.npy beside emb_map.npy", () => {
    const context = { emb: Float32Array.from([9, 8, 7]), m: 1, dim: 3 };
    const map = { emb: Float32Array.from([1, 2]), m: 1, dim: 2 };
    const bytes = encodeMemoryNpz({ emb: new Float32Array(6), dim: 3, tokenH: 1, tokenW: 2, metadata: {}, map, context });
    expect(Object.keys(unzipSync(bytes)).sort()).toEqual(['emb.npy', 'emb_ctx.npy', 'emb_map.npy', 'metadata.npy', 'token_h.npy', 'token_w.npy']);
    const back = decodeMemoryNpz(bytes, 'mem.npz');
    expect([back.context?.m, back.context?.dim, Array.from(back.context?.emb ?? [])]).toEqual([1, 3, [9, 8, 7]]);
    expect(Array.from(back.map?.emb ?? [])).toEqual([1, 2]);
    expect(decodeMemoryNpz(Buffer.from(NUMPY_COMPRESSED, 'base64'), 'py.npz').context).toBeUndefined();
  });

  it('reads numpy savez_compressed output', () => {
    const back = decodeMemoryNpz(Buffer.from(NUMPY_COMPRESSED, 'base64'), 'py.npz');
    expect([back.m, back.dim, back.tokenH, back.tokenW]).toEqual([2, 3, 2, 3]);
    expect(Array.from(back.emb)).toEqual(Array.from(Float32Array.from([0, 1, 2, 3, 4, 5], (v) => Math.fround(v / 7))));
    expect(back.metadata).toEqual({ coreset_rate: 0.1, applied_rate: 1.0 });
  });

  it('reads stored members, <f8 embeddings, <i4 scalars and a missing metadata', () => {
    const back = decodeMemoryNpz(Buffer.from(NUMPY_STORED, 'base64'), 'py.npz');
    expect(Array.from(back.emb)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([back.tokenH, back.tokenW]).toEqual([2, 3]);
    expect(back.metadata).toEqual({});
  });

  it('reads a bytes (S) metadata as {} like the original', () => {
    const sHeader = npyHeader('|S2', []);
    const member = new Uint8Array(sHeader.length + 2);
    member.set(sHeader);
    member.set([0x7b, 0x7d], sHeader.length);
    const zipped = zipSync({
      'emb.npy': encodeEmb(),
      'token_h.npy': npyInt64Scalar(1),
      'token_w.npy': npyInt64Scalar(1),
      'metadata.npy': member,
    });
    expect(decodeMemoryNpz(zipped, 'b.npz').metadata).toEqual({});
  });

  it('throws CorruptArtifactError naming the file on garbage and truncation', () => {
    expect(() => decodeMemoryNpz(Buffer.from('garbage'), '/m/x.npz')).toThrow(CorruptArtifactError);
    expect(() => decodeMemoryNpz(Buffer.from('garbage'), '/m/x.npz')).toThrow('/m/x.npz');
    const full = encodeMemoryNpz({ emb: new Float32Array(6), dim: 3, tokenH: 1, tokenW: 2, metadata: {} });
    expect(() => decodeMemoryNpz(full.subarray(0, full.length - 30), '/m/t.npz')).toThrow(/\/m\/t\.npz/);
    const shortEmb = zipSync({ 'emb.npy': encodeEmb().subarray(0, 130), 'token_h.npy': npyInt64Scalar(1), 'token_w.npy': npyInt64Scalar(1) });
    expect(() => decodeMemoryNpz(shortEmb, 'short.npz')).toThrow('emb.npy: truncated');
    const noGrid = zipSync({ 'emb.npy': encodeEmb() });
    expect(() => decodeMemoryNpz(noGrid, 'nogrid.npz')).toThrow('missing token_h.npy');
  });
});

function encodeEmb(): Uint8Array {
  const header = npyHeader('<f4', [1, 2]);
  const out = new Uint8Array(header.length + 8);
  out.set(header);
  out.set(new Uint8Array(Float32Array.from([1, 2]).buffer), header.length);
  return out;
}
