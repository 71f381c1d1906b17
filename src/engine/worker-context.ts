// What one worker thread owns across tasks: its backbone session (created lazily, once) and its memory cache.
import { Backbone } from './backbone';
import { MemoryCache } from './memory-cache';
import { baselineProfile, defaultFitProfile, type DetectorProfile } from './profile/detector-profile';
import { featureView, scoreViews } from './profile/feature-view';
import { decodeImage } from './image';
import { sizeForBackbone } from './profile/input-sizing';
import type { WorkerConfig } from './pool-protocol';
import type { Letterbox, PatchFeatures, RgbImage } from './types';

export interface PreparedFeatures {
  /** The score view: normalised per the profile, position appended. */
  features: PatchFeatures;
  /** The map view (profile.mapView), when the profile has one. */
  mapFeatures?: PatchFeatures;
  /** The context view's rows on its own grid (profile.contextView), when the profile has one. */
  contextFeatures?: PatchFeatures;
  letterbox: Letterbox;
  decodeMs: number;
  backboneMs: number;
}

export interface PreparedRaw {
  /** Raw backbone features, before any view; may live in ONNX Runtime memory until the next run. */
  raw: PatchFeatures;
  blocks: readonly number[];
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

  /** decode → size per profile → backbone → the profile's views (baseline profile when absent). */
  async features(bytes: Uint8Array, profile?: DetectorProfile | null): Promise<PreparedFeatures> {
    const resolved = profile ?? (await this.baselineProfile());
    const { raw, blocks, letterbox, decodeMs, backboneMs } = await this.prepareRaw(bytes, resolved);
    const t0 = performance.now();
    const view = resolved.mapView;
    const mapFeatures = view ? featureView(raw, blocks, view.features, resolved.position, true) : undefined;
    const { features, context } = scoreViews(raw, blocks, resolved, letterbox);
    // The views count as backbone time, as the normalisation always did.
    return {
      features,
      ...(mapFeatures ? { mapFeatures } : {}),
      ...(context ? { contextFeatures: context } : {}),
      letterbox,
      decodeMs,
      backboneMs: backboneMs + performance.now() - t0,
    };
  }

  /** decode → size per profile → backbone, no view yet (the fit builds its views from these rows). */
  async prepareRaw(bytes: Uint8Array, profile: DetectorProfile): Promise<PreparedRaw> {
    const t0 = performance.now();
    const backbone = await this.getBackbone();
    const sized = await sizeForBackbone(await decodeImage(bytes, { limitInputPixels: this.config.limitInputPixels }), profile.input, backbone.info);
    // Resizing counts as decode, as before.
    const t1 = performance.now();
    const raw = await backbone.extract(sized.image);
    return { raw, blocks: backbone.info.blocks, letterbox: sized.letterbox, decodeMs: t1 - t0, backboneMs: performance.now() - t1 };
  }

  /** Raw (unnormalised) features of a decoded crop under one input sizing: the tuner's entry point. */
  async rawFeatures(image: RgbImage, profile: DetectorProfile): Promise<{ features: PatchFeatures; letterbox: Letterbox; blocks: number[] }> {
    const backbone = await this.getBackbone();
    const sized = await sizeForBackbone(image, profile.input, backbone.info);
    return { features: await backbone.extract(sized.image), letterbox: sized.letterbox, blocks: backbone.info.blocks };
  }
}
