// The batcher's policy with a fake clock, timer and dispatch: no real time is involved.
import { AbortedError } from './engine-error';
import { InferBatcher, type BatchItem } from './infer-batcher';
import type { InferInput, InferOutput } from './pool-protocol';

function harness(maxBatch: number, delayMs: number, slots = 1) {
  let now = 0;
  const timers: Array<{ ms: number; fire: () => void; cancelled: boolean }> = [];
  const batches: BatchItem[][] = [];
  const finish: Array<() => void> = [];
  const batcher = new InferBatcher({
    maxBatch,
    delayMs,
    slots,
    now: () => now,
    setTimer: (fire, ms) => {
      const timer = { ms, fire, cancelled: false };
      timers.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    dispatch: (items) => {
      batches.push(items);
      return new Promise<void>((resolve) => {
        finish.push(() => {
          items.forEach((item, i) => item.resolve({ score: i } as InferOutput));
          resolve();
        });
      });
    },
  });
  return { batcher, batches, timers, finish, advance: (ms: number) => (now += ms) };
}

const input = (tag: number): InferInput => ({ image: new Uint8Array([tag]), memory: { npzPath: 'x', npzMtimeMs: 0, indexPath: null, indexMtimeMs: null }, scorePercentile: 99, areaMm2Thr: 0, mmPerPx: 1, wantHeatmap: false });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('InferBatcher', () => {
  it('sends a full batch at once, without waiting for the delay', async () => {
    const h = harness(3, 1000);
    const answers = [1, 2, 3].map((t) => h.batcher.submit(input(t)));
    expect(h.batches.map((b) => b.map((i) => i.input.image[0]))).toEqual([[1, 2, 3]]);
    h.finish[0]();
    expect((await Promise.all(answers)).map((a) => a.score)).toEqual([0, 1, 2]);
  });

  it('holds a partial batch for the delay (armed for delayMs), then sends what is there', async () => {
    const h = harness(4, 5);
    const a = h.batcher.submit(input(1));
    const b = h.batcher.submit(input(2));
    expect(h.batches).toHaveLength(0);
    expect(h.timers.map((t) => t.ms)).toEqual([5]);
    h.advance(5);
    h.timers[0].fire();
    expect(h.batches.map((x) => x.length)).toEqual([2]);
    h.finish[0]();
    await Promise.all([a, b]);
  });

  it('with no delay, sends each request as soon as a slot is free; queued ones go together when it frees', async () => {
    const h = harness(8, 0, 1);
    const first = h.batcher.submit(input(1));
    const rest = [2, 3, 4].map((t) => h.batcher.submit(input(t)));
    expect(h.batches.map((b) => b.length)).toEqual([1]);
    expect(h.batcher.queued).toBe(3);
    h.finish[0]();
    await first;
    await flush();
    expect(h.batches.map((b) => b.length)).toEqual([1, 3]);
    h.finish[1]();
    await Promise.all(rest);
  });

  it('drops a request cancelled while it waits; a failed batch fails each of its requests', async () => {
    const h = harness(4, 1000);
    const controller = new AbortController();
    const cancelled = h.batcher.submit(input(1), { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    expect(h.batcher.queued).toBe(0);
    const failing = new InferBatcher({ maxBatch: 2, delayMs: 0, slots: 1, dispatch: () => Promise.reject(new Error('worker died')) });
    const results = await Promise.allSettled([failing.submit(input(1)), failing.submit(input(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
