// Task `extract`: one encoded image → patch features under the backbone's baseline profile, and its letterbox.
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
