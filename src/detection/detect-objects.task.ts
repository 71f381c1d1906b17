// The `detect-objects` job task: the same DetectionService.detect() as POST /detect/objects, queued.
import { Injectable } from '@nestjs/common';
import { JobRunContext, OnJob } from '../jobs/job-task';
import { validateDto } from '../common/validation/validation-error';
import { DetectionService, DetectResult } from './detection.service';
import { DEFAULT_MIN_SCORE, DetectObjectsDto } from './dto/detect-objects.dto';

export interface DetectObjectsPayload {
  imageBase64: string;
  minScore: number;
  debugSleepMs: number;
}

declare module '../jobs/job-task' {
  interface JobPayloads {
    'detect-objects': DetectObjectsPayload;
  }
}

@Injectable()
export class DetectObjectsTask {
  constructor(private readonly detection: DetectionService) {}

  /** Defaults are applied at parse, so the idempotency fingerprint treats `minScore` omitted and 0.35 as the same. */
  @OnJob({
    name: 'detect-objects',
    timeout: 'run',
    parse: (fields, location) => {
      const dto = validateDto(DetectObjectsDto, fields, location);
      return { imageBase64: dto.imageBase64, minScore: dto.minScore ?? DEFAULT_MIN_SCORE, debugSleepMs: dto.debugSleepMs ?? 0 };
    },
  })
  run(payload: DetectObjectsPayload, context: JobRunContext): Promise<DetectResult> {
    return this.detection.detect(payload, { requestId: context.requestId, signal: context.signal, priority: 'background' });
  }
}
