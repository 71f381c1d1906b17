// Dynamic batching inside a worker: a wrapper around the backbone's ONNX Runtime session that, while a batch
// window is open, holds the concurrent `run` calls of the window's items and sends them as ONE run with batch
// dimension N (grouped by input shape), then hands each caller its own slice. Outside a window it is the session.
//
// The wrapper sits below Backbone.extract, so the per-image pipeline (decode, sizing, normalisation, kNN,
// post-processing) is exactly the unbatched code; only the session run is shared. A model whose input declares a
// fixed batch of 1 (ONNX Runtime refuses N > 1) is detected on the first batched run and then served one run per
// item, with the same answers.
import { AsyncLocalStorage } from 'node:async_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';

type Feeds = InferenceSession.FeedsType;
type Results = InferenceSession.ReturnType;

interface ItemState {
  window: BatchWindow;
  waiting: boolean;
  settled: boolean;
}

interface PendingRun {
  feeds: Feeds;
  item: ItemState;
  resolve: (results: Results) => void;
  reject: (error: unknown) => void;
}

const currentItem = new AsyncLocalStorage<ItemState>();

/** Counters for tests and the bench: how many session runs the window items shared. */
export interface BatchingStats {
  /** Session runs made for window items (one per group of equal input shape). */
  runs: number;
  /** Items served by those runs. */
  items: number;
  /** Largest batch dimension sent in one run. */
  largest: number;
  /** False once the model refused a batch > 1 (then every item runs alone). */
  batchable: boolean;
}

/**
 * One batch task's items. `runItems` starts every item inside the window; a held run is released when no item of
 * the window is still on its way to the session (each is waiting in `run` or has settled), so the batch is always
 * as large as it can be and never waits on a timer.
 */
export class BatchWindow {
  private readonly pending: PendingRun[] = [];
  private readonly items: ItemState[] = [];

  constructor(private readonly session: BatchingSession) {}

  /** Runs `work(i)` for i < n concurrently inside the window; per-item outcomes, never rejects. */
  async runItems<T>(n: number, work: (i: number) => Promise<T>): Promise<Array<PromiseSettledResult<T>>> {
    const states = Array.from({ length: n }, () => ({ window: this, waiting: false, settled: false }));
    this.items.push(...states);
    return Promise.allSettled(
      states.map((state, i) =>
        currentItem.run(state, async () => {
          try {
            return await work(i);
          } finally {
            state.settled = true;
            this.maybeFlush();
          }
        }),
      ),
    );
  }

  hold(run: PendingRun): void {
    run.item.waiting = true;
    this.pending.push(run);
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.pending.length === 0) return;
    if (this.items.some((item) => !item.settled && !item.waiting)) return;
    const runs = this.pending.splice(0);
    for (const run of runs) run.item.waiting = false;
    void this.session.runGrouped(runs);
  }
}

export class BatchingSession {
  readonly stats: BatchingStats = { runs: 0, items: 0, largest: 0, batchable: true };

  constructor(readonly inner: InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  /** A window for one batch task (see BatchWindow.runItems). */
  window(): BatchWindow {
    return new BatchWindow(this);
  }

  run(feeds: Feeds): Promise<Results> {
    const item = currentItem.getStore();
    if (!item || item.settled) return this.inner.run(feeds);
    return new Promise<Results>((resolve, reject) => item.window.hold({ feeds, item, resolve, reject }));
  }

  release(): Promise<void> {
    return this.inner.release();
  }

  /** One zero batch of `n` through the session; a refusal marks the model as not batchable (runs per item). */
  async warmUpBatch(n: number, input: { name: string; width: number; height: number }): Promise<void> {
    if (!this.stats.batchable || n < 2) return;
    const data = new Float32Array(n * 3 * input.height * input.width);
    try {
      unstack(await this.inner.run({ [input.name]: new Tensor('float32', data, [n, 3, input.height, input.width]) }), n);
    } catch {
      this.stats.batchable = false;
    }
  }

  /** Groups held runs by input names and shapes; one session run per group (batch dimension = group size). */
  async runGrouped(runs: PendingRun[]): Promise<void> {
    const groups = new Map<string, PendingRun[]>();
    for (const run of runs) {
      const key = shapeKey(run.feeds);
      const group = groups.get(key) ?? [];
      group.push(run);
      groups.set(key, group);
    }
    for (const group of groups.values()) await this.runGroup(group);
  }

  private async runGroup(group: PendingRun[]): Promise<void> {
    this.stats.runs++;
    this.stats.items += group.length;
    if (group.length === 1 || !this.stats.batchable || !stackable(group[0].feeds)) {
      if (group.length > 1) this.stats.runs += group.length - 1;
      for (const run of group) await this.inner.run(run.feeds).then(run.resolve, run.reject);
      this.stats.largest = Math.max(this.stats.largest, 1);
      return;
    }
    let results: Results;
    try {
      results = await this.inner.run(stack(group.map((r) => r.feeds)));
    } catch {
      // The model refused the batch (a fixed batch of 1, a reshape with a literal 1…): serve the items one by one
      // from now on; an item's own failure is then its own.
      this.stats.batchable = false;
      this.stats.runs += group.length - 1;
      this.stats.largest = Math.max(this.stats.largest, 1);
      for (const run of group) await this.inner.run(run.feeds).then(run.resolve, run.reject);
      return;
    }
    this.stats.largest = Math.max(this.stats.largest, group.length);
    let split: Results[];
    try {
      split = unstack(results, group.length);
    } catch (error) {
      for (const run of group) run.reject(error);
      return;
    }
    group.forEach((run, i) => run.resolve(split[i]));
  }
}

function shapeKey(feeds: Feeds): string {
  return Object.keys(feeds)
    .sort()
    .map((name) => `${name}:${feeds[name].type}:${feeds[name].dims.join('x')}`)
    .join('|');
}

/** Every input is a float32 tensor with batch dimension 1. */
function stackable(feeds: Feeds): boolean {
  return Object.values(feeds).every((t) => t.type === 'float32' && t.dims.length >= 1 && t.dims[0] === 1);
}

function stack(all: Feeds[]): Feeds {
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(all[0])) {
    const first = all[0][name];
    const per = (first.data as Float32Array).length;
    const data = new Float32Array(per * all.length);
    all.forEach((feeds, i) => data.set(feeds[name].data as Float32Array, i * per));
    out[name] = new Tensor('float32', data, [all.length, ...first.dims.slice(1)]);
  }
  return out;
}

/** Batch-N outputs → N results with batch dimension 1 (own copies: each goes its own way). */
function unstack(results: Results, n: number): Results[] {
  const split: Array<Record<string, Tensor>> = Array.from({ length: n }, () => ({}));
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.dims[0] !== n || tensor.type !== 'float32') {
      throw new Error(`Batched output "${name}" has dims [${tensor.dims.join(', ')}], expected a leading ${n}`);
    }
    const data = tensor.data as Float32Array;
    const per = data.length / n;
    for (let i = 0; i < n; i++) split[i][name] = new Tensor('float32', data.slice(i * per, (i + 1) * per), [1, ...tensor.dims.slice(1)]);
  }
  return split as Results[];
}
