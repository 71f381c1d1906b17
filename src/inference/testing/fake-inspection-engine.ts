// A typed stand-in for the worker pool (InspectionEngine) in unit specs: answers are queued or computed per call,
// and every call is recorded, so a spec states what the engine said and checks what the service did with it.
import type { MemoryArtifactRef } from '../../engine/memory-cache';
import type { FitInput, FitOutput, InferInput, InferOutput } from '../../engine/pool-protocol';
import type { EngineRunOptions, InspectionEngine } from '../inspection-engine';

export type InferAnswer = Partial<InferOutput> | Error;

export class FakeInspectionEngine implements InspectionEngine {
  readonly size = 1;
  readonly fitCalls: Array<{ input: FitInput; options: EngineRunOptions }> = [];
  readonly inferCalls: Array<{ input: InferInput; options: EngineRunOptions }> = [];
  readonly preloadCalls: MemoryArtifactRef[] = [];

  /** Per inference: a fixed answer, or one computed from the input (e.g. by image bytes). */
  inferAnswer: InferAnswer | ((input: InferInput) => InferAnswer) = { score: 0.1 };
  fitAnswer: Partial<FitOutput> | Error = {};

  async fit(input: FitInput, options: EngineRunOptions): Promise<FitOutput> {
    this.fitCalls.push({ input, options });
    if (this.fitAnswer instanceof Error) throw this.fitAnswer;
    const nEmbeddings = input.images.length * 16;
    const m = Math.max(1, Math.round(nEmbeddings * input.coresetRate));
    return {
      bank: new Float32Array(m * 4),
      m,
      dim: 4,
      nEmbeddings,
      nImages: input.images.length,
      tokenH: 4,
      tokenW: 4,
      requestedRate: input.coresetRate,
      appliedRate: m / nEmbeddings,
      coverRadius: 0,
      errors: [],
      profile: input.profile ?? { input: { mode: 'letterbox' }, features: { weights: [1], floors: [0], unitNorm: true } },
      npzBytes: new Uint8Array([1, 2, 3]),
      indexBytes: new Uint8Array([4, 5]),
      timingsMs: { decode: 0, backbone: 0, coreset: 0, total: 0 },
      ...this.fitAnswer,
    };
  }

  async preload(memory: MemoryArtifactRef): Promise<number> {
    this.preloadCalls.push(memory);
    return this.size;
  }

  async infer(input: InferInput, options: EngineRunOptions): Promise<InferOutput> {
    this.inferCalls.push({ input, options });
    const answer = typeof this.inferAnswer === 'function' ? this.inferAnswer(input) : this.inferAnswer;
    if (answer instanceof Error) throw answer;
    return {
      score: 0,
      tokenShape: [4, 4],
      timings: { decode: 0, backbone: 0, knn: 0, post: 0 },
      memoryLoaded: false,
      ...answer,
    };
  }
}
