import { Module } from '@nestjs/common';
import { PoolModule } from '../pool/pool.module';
import { DetectObjectsTask } from './detect-objects.task';
import { DetectionController } from './detection.controller';
import { DetectionService } from './detection.service';

// DetectObjectsTask's @OnJob handler is found by JobsModule's registry.
@Module({
  imports: [PoolModule],
  controllers: [DetectionController],
  providers: [DetectionService, DetectObjectsTask],
  exports: [DetectionService],
})
export class DetectionModule {}
