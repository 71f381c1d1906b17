// What one worker thread owns across tasks: its backbone session (created lazily, once) and its memory cache.
import { Backbone } from './backbone';
import { decodeImage } from './image';
import { MemoryCache } from './memory-cache';
import { baselineProfile, defaultFitProfile, type DetectorProfile } from './profile/detector-profile';
import { normaliseFeatures } from './profile/feature-normalisation';
import { sizeForBackbone } from './profile/input-sizing';
import { appendPosition, POSITION_CHANNELS } from './profile/position-features';
import type { WorkerConfig } from './pool-protocol';
import type { Letterbox, PatchFeatures, RgbImage } from './types';

export interface PreparedFeatures {
  /** Normalised per the profile. */
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

  /** The profile of models without a tuned one (the backbone's own normalisation, letterbox input). */
  async baselineProfile(): Promise<DetectorProfile> {
    const backbone = await this.getBackbone();
    return baselineProfile(backbone.manifest.normalisation, backbone.info.blocks.length);
  }

  /** What a fit uses without tuning (and the tuner's starting point): see defaultFitProfile. */
  async defaultFitProfile(): Promise<DetectorProfile> {
    const backbone = await this.getBackbone();
    return defaultFitProfile(await this.baselineProfile(), backbone.info);
  }

  /** decode → size per profile → backbone → block normalisation per profile (baseline when absent). */
  async features(bytes: Uint8Array, profile?: DetectorProfile | null): Promise<PreparedFeatures> {
    const resolved = profile ?? (await this.baselineProfile());
    const t0 = performance.now();
    const decoded = await decodeImage(bytes, { limitInputPixels: this.config.limitInputPixels });
    const decodeMs = performance.now() - t0;
    const prepared = await this.featuresOf(decoded, resolved);
    // Resizing counts as decode, as before.
    return { ...prepared, decodeMs: decodeMs + prepared.decodeMs };
  }

  /** Raw (unnormalised) features of a decoded crop under one input sizing: the tuner's entry point. */
  async rawFeatures(image: RgbImage, profile: DetectorProfile): Promise<{ features: PatchFeatures; letterbox: Letterbox; blocks: number[] }> {
    const backbone = await this.getBackbone();
    const sized = await sizeForBackbone(image, profile.input, backbone.info);
    return { features: await backbone.extract(sized.image), letterbox: sized.letterbox, blocks: backbone.info.blocks };
  }

  private async featuresOf(image: RgbImage, profile: DetectorProfile): Promise<PreparedFeatures> {
    const t0 = performance.now();
    const backbone = await this.getBackbone();
    const sized = await sizeForBackbone(image, profile.input, backbone.info);
    const t1 = performance.now();
    const features = await backbone.extract(sized.image);
    normaliseFeatures(features.features, features.dim, backbone.info.blocks, profile.features);
    const positioned = profile.position
      ? { ...features, features: appendPosition(features.features, features.gridH, features.gridW, features.dim, profile.position), dim: features.dim + POSITION_CHANNELS }
      : features;
    const t2 = performance.now();
    return { features: positioned, letterbox: sized.letterbox, decodeMs: t1 - t0, backboneMs: t2 - t1 };
  }
}
