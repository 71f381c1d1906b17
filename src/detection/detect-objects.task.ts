// The `detect-objects` job task: the same DetectionService.detect() as POST /detect/objects, queued.
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobTaskHandler, JobTaskRegistry } from '../jobs/job-task-registry';
import { validateTaskFields } from '../jobs/task-payload';
import { DetectionService, DetectResult } from './detection.service';
import { DEFAULT_MIN_SCORE, DetectObjectsDto } from './dto/detect-objects.dto';

interface DetectObjectsPayload {
  imageBase64: string;
  minScore: number;
  debugSleepMs: number;
}

@Injectable()
export class DetectObjectsTask implements JobTaskHandler<DetectObjectsPayload>, OnModuleInit {
  readonly name = 'detect-objects';

  constructor(
    @Inject(JobTaskRegistry) private readonly registry: JobTaskRegistry,
    private readonly detection: DetectionService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  timeoutSeconds(config: AppConfig): number {
    return config.jobs.runTimeoutSeconds;
  }

  /** Defaults are applied here, so the idempotency fingerprint treats `minScore` omitted and 0.35 as the same. */
  validate(fields: Record<string, unknown>, location?: string[]): DetectObjectsPayload {
    const dto = validateTaskFields(DetectObjectsDto, fields, location);
    return { imageBase64: dto.imageBase64, minScore: dto.minScore ?? DEFAULT_MIN_SCORE, debugSleepMs: dto.debugSleepMs ?? 0 };
  }

  run(payload: DetectObjectsPayload, context: { signal: AbortSignal; requestId: string }): Promise<DetectResult> {
    return this.detection.detect(payload, context);
  }
}
