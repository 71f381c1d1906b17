// Task `extract`: one encoded image → L2-normalised patch features and its letterbox (evaluation, benchmarks).
import type { ExtractInput, ExtractOutput } from './pool-protocol';
import type { WorkerContext } from './worker-context';

export async function runExtract(input: ExtractInput, ctx: WorkerContext): Promise<ExtractOutput> {
  const prepared = await ctx.features(input.image);
  return {
    // Own copy: the backbone's output may live in ONNX Runtime memory, which cannot be transferred.
    features: { ...prepared.features, features: prepared.features.features.slice() },
    letterbox: prepared.letterbox,
    timings: { decode: prepared.decodeMs, backbone: prepared.backboneMs },
  };
}
