// What one worker thread owns across tasks: its backbone session (created lazily, once) and its memory cache.
import { Backbone } from './backbone';
import { decodeImage } from './image';
import { l2NormalizeRows } from './l2-normalize';
import { letterboxImage } from './letterbox';
import { MemoryCache } from './memory-cache';
import type { WorkerConfig } from './pool-protocol';
import type { Letterbox, PatchFeatures } from './types';

export interface PreparedFeatures {
  /** L2-normalised. */
  features: PatchFeatures;
  letterbox: Letterbox;
  decodeMs: number;
  backboneMs: number;
}

export class WorkerContext {
  readonly memories: MemoryCache;
  private backbone: Promise<Backbone> | null = null;

  constructor(readonly config: WorkerConfig) {
    this.memories = new MemoryCache(config.cacheMaxEntries);
  }

  getBackbone(): Promise<Backbone> {
    if (!this.backbone) {
      this.backbone = Backbone.load(this.config.manifestPath, {
        device: this.config.device,
        intraOpThreads: this.config.intraOpThreads,
        requireCuda: this.config.requireCuda,
      });
      // A failed load is retried by the next task rather than cached forever.
      this.backbone.catch(() => {
        this.backbone = null;
      });
    }
    return this.backbone;
  }

  /** decode → letterbox → backbone → L2 normalise. */
  async features(bytes: Uint8Array): Promise<PreparedFeatures> {
    const backbone = await this.getBackbone();
    const t0 = performance.now();
    const decoded = await decodeImage(bytes, { limitInputPixels: this.config.limitInputPixels });
    const boxed = await letterboxImage(decoded, backbone.info.inputWidth, backbone.info.inputHeight);
    const t1 = performance.now();
    const features = await backbone.extract(boxed.image);
    l2NormalizeRows(features.features, features.dim);
    const t2 = performance.now();
    return { features, letterbox: boxed.letterbox, decodeMs: t1 - t0, backboneMs: t2 - t1 };
  }
}
