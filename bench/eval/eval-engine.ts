// What the evaluation needs from the inspection engine. The real implementation drives the service's
// InferencePool (pool-engine.ts); tests use a fake.

export interface ScoredImage {
  /** The service's image score. */
  score: number;
  /** Anomaly map [height, width] row-major, in the decoded image's pixel grid (before any visual stretch);
   *  empty (0×0) when not asked for. */
  map: Float32Array;
  width: number;
  height: number;
}

export interface EvalEngine {
  /** Backbone in use, for the report. */
  readonly backboneName: string;
  /** Worker threads scoring in parallel. */
  readonly concurrency: number;
  fit(trainImages: string[]): Promise<void>;
  /** withMap: also produce the anomaly map (costs a second backbone pass until the infer task returns it). */
  score(imagePath: string, withMap: boolean): Promise<ScoredImage>;
  close(): Promise<void>;
}
