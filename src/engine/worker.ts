// Worker entry (Piscina): caps native thread pools, then dispatches each message to its task handler.
// Replies are envelopes: typed errors survive the thread boundary, large arrays are transferred, not copied.
import { threadId } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { AbortedError } from './engine-error';
import { runDetect } from './detection/detect-task';
import { toErrorEnvelope } from './error-envelope';
import { runExtract } from './extract-task';
import { runFit } from './fit-task';
import { runInferBatch } from './infer-batch-task';
import { runInfer } from './infer-task';
import { loadNativeAddon } from './native-addon';
import type { TaskInput, TaskMessage, TaskName, TaskOutput, TaskReply, WorkerConfig, WorkerInfo } from './pool-protocol';
import { transferablesOf } from './transfer';
import { warmUpInference } from './warm-up';
import { WorkerContext } from './worker-context';

/** abortFlag: long tasks poll it between steps (Atomics.load(flag, 0) !== 0 means stop). */
type Handler<K extends TaskName> = (input: TaskInput<K>, ctx: WorkerContext, abortFlag: Int32Array) => Promise<TaskOutput<K>>;

async function runInfo(input: TaskInput<'info'>, ctx: WorkerContext): Promise<WorkerInfo> {
  const backbone = await ctx.getBackbone();
  const warmUpMs = input.warmUp ? await warmUpInference(ctx) : undefined;
  // With batching on, one full batch too: ORT (on CUDA, kernel selection) sees the batched shape before the first
  // request does, and a model fixed at batch 1 is found here rather than by a live batch.
  const batchMax = ctx.config.batchMax ?? 1;
  if (input.warmUp && batchMax > 1) await backbone.batching.warmUpBatch(batchMax, backbone.manifest.input);
  return {
    ...(warmUpMs !== undefined ? { warmUpMs } : {}),
    threadId,
    backbone: backbone.info,
    batching: { ...backbone.batching.stats },
    nativeThreads: loadNativeAddon().getThreads(),
    envThreads: { OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? null, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? null },
    cachedMemories: ctx.memories.size,
    memoryLoads: ctx.memories.loads,
  };
}

/** Reads a memory into this worker's cache (after a fit), so the first inference with it does not pay for it. */
async function runLoadMemory(input: TaskInput<'loadMemory'>, ctx: WorkerContext): Promise<TaskOutput<'loadMemory'>> {
  const before = ctx.memories.loads;
  ctx.memories.get(input.memory);
  return { threadId, loaded: ctx.memories.loads !== before };
}

// Task registry: adding a task is one line here (plus its TaskMap entry in pool-protocol.ts).
const HANDLERS: { [K in TaskName]: Handler<K> } = {
  detect: runDetect,
  extract: runExtract,
  fit: runFit,
  infer: runInfer,
  inferBatch: runInferBatch,
  info: runInfo,
  loadMemory: runLoadMemory,
};

// OpenMP/OpenBLAS read OMP_NUM_THREADS once per process; the pool sets it before starting workers, and this
// call caps them again in case a library was loaded earlier (measured: erratic 2–3x slower kNN otherwise).
try {
  loadNativeAddon().setThreads(1);
} catch {
  // Addon not built: tasks that need it fail with NativeUnavailableError; the rest still run.
}
const ctx = new WorkerContext(workerData as WorkerConfig);

export default async function dispatch(message: TaskMessage): Promise<unknown> {
  let reply: TaskReply;
  try {
    const handler = HANDLERS[message.task] as Handler<TaskName> | undefined;
    if (!handler) throw new Error(`Unknown task ${String(message.task)}`);
    // A task cancelled while it waited in the queue is dropped here, without doing its work.
    if (Atomics.load(message.abortFlag, 0) !== 0) throw new AbortedError('Task cancelled before it started');
    reply = { ok: true, value: await handler(message.input, ctx, message.abortFlag) };
  } catch (err) {
    reply = { ok: false, error: toErrorEnvelope(err) };
  }
  const transfer = transferablesOf(reply);
  // Piscina's Transferable protocol: post `valueSymbol`, moving the buffers listed under `transferableSymbol`.
  return transfer.length > 0 ? move({ [transferableSymbol]: transfer, [valueSymbol]: reply } as unknown as ArrayBuffer) : reply;
}
