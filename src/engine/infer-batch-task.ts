// Task `inferBatch`: several `infer` inputs that the pool's batcher grouped (infer-batcher.ts). Each item runs the
// ordinary `infer` code concurrently inside one batch window of the backbone session, so their backbone runs
// become one ONNX Runtime run with batch dimension N (batching-session.ts); everything else is per item. Every item
// gets its own reply: a bad image fails only its own request.
import { toErrorEnvelope } from './error-envelope';
import { runInfer } from './infer-task';
import type { InferBatchInput, InferBatchOutput } from './pool-protocol';
import type { WorkerContext } from './worker-context';

export async function runInferBatch(input: InferBatchInput, ctx: WorkerContext): Promise<InferBatchOutput> {
  const backbone = await ctx.getBackbone();
  const settled = await backbone.batching.window().runItems(input.items.length, (i) => runInfer(input.items[i], ctx));
  return {
    replies: settled.map((s) => (s.status === 'fulfilled' ? { ok: true as const, value: s.value } : { ok: false as const, error: toErrorEnvelope(s.reason) })),
  };
}
