// One implementation of object detection for POST /detect/objects and `detect-objects` jobs: payload decoding,
// the optional debug sleep, and the detector itself in the worker pool (task `detect`).
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import * as fs from 'node:fs';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DetectInput, DetectOutput, runDetect } from '../engine/detection/detect-task';
import { InferencePoolService, PoolPriority } from '../pool/pool.service';
import { abortableSleep } from './abortable-sleep';
import { DEFAULT_MIN_SCORE } from './dto/detect-objects.dto';
import { decodeImagePayload, invalidImagePayload } from '../common/wire/image-payload';

export const MAX_DEBUG_SLEEP_MS = 30_000;

export interface DetectRequest {
  imageBase64: string;
  minScore?: number;
  debugSleepMs?: number;
}

export interface DetectResult {
  objects: Array<{ x: number; y: number; width: number; height: number; label: string; score: number }>;
  modelVersion: string;
  latencyMs: number;
  requestId: string;
  [key: string]: unknown;
}

@Injectable()
export class DetectionService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly pool?: InferencePoolService,
  ) {}

  onModuleInit(): void {
    // A configured model that does not exist would fail every detection: refuse to start instead.
    const model = this.config.jobs.detectorModel;
    if (model && !fs.existsSync(model)) throw new Error(`BDI_DETECTOR_MODEL points to a missing file: ${model}`);
  }

  /** `priority`: the route is interactive (503 when the pool is full); the job runs in the background and waits. */
  async detect(request: DetectRequest, options: { requestId: string; signal?: AbortSignal; priority: PoolPriority }): Promise<DetectResult> {
    const started = performance.now();
    const sleepMs = this.config.jobs.debugSleep ? Math.min(request.debugSleepMs ?? 0, MAX_DEBUG_SLEEP_MS) : 0;
    if (sleepMs > 0) await abortableSleep(sleepMs, options.signal);
    const image = decodeImagePayload(request.imageBase64);
    const output = await this.runDetector(
      { image, minScore: request.minScore ?? DEFAULT_MIN_SCORE, detectorModel: this.config.jobs.detectorModel },
      options,
    );
    return {
      objects: output.objects,
      modelVersion: output.modelVersion,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      requestId: options.requestId,
    };
  }

  private async runDetector(input: DetectInput, options: { signal?: AbortSignal; priority: PoolPriority }): Promise<DetectOutput> {
    try {
      // The pool serves detection when its workers are up; when the backbone could not load, the detector (which
      // does not need it) still runs, on the main thread.
      if (this.pool?.engineHealth().ready) return await this.pool.run('detect', input, { signal: options.signal, priority: options.priority });
      return await runDetect(input, { config: { limitInputPixels: this.config.inference.maxImagePixels } });
    } catch (error) {
      throw toDetectionError(error);
    }
  }
}

/** Undecodable or oversized images are the caller's fault (400 invalid_image_payload); the rest passes through. */
function toDetectionError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'invalid_image' || code === 'image_too_large') {
    return invalidImagePayload((error as Error).message);
  }
  return error;
}
