import { Module } from '@nestjs/common';
import { DetectObjectsTask } from './detect-objects.task';
import { DetectionController } from './detection.controller';
import { DetectionService } from './detection.service';

// JobTaskRegistry comes from the global JobsModule; the pool from the global InferencePoolModule.
@Module({
  controllers: [DetectionController],
  providers: [DetectionService, DetectObjectsTask],
  exports: [DetectionService],
})
export class DetectionModule {}
