import { transferablesOf } from './transfer';

describe('transferablesOf', () => {
  it('lists whole buffers once and compacts partial views', () => {
    const whole = new Float32Array(4);
    const big = new Uint8Array(100);
    const reply: { a: Float32Array; nested: { b: Float32Array; part: Uint8Array }; shared: Int32Array } = {
      a: whole,
      nested: { b: whole, part: big.subarray(10, 20) },
      shared: new Int32Array(new SharedArrayBuffer(4)),
    };
    const buffers = transferablesOf(reply);
    expect(buffers).toHaveLength(2);
    expect(buffers[0]).toBe(whole.buffer);
    expect(reply.nested.part.buffer.byteLength).toBe(10);
    expect(buffers).not.toContain(big.buffer);
  });
});
