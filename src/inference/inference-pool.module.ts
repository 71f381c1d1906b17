import { Global, Module } from '@nestjs/common';
import { ENGINE_HEALTH } from '../health/health-sources';
import { InferencePoolService } from './inference-pool.service';

/** The worker pool, shared by inspection, detection and jobs. */
@Global()
@Module({
  providers: [InferencePoolService, { provide: ENGINE_HEALTH, useExisting: InferencePoolService }],
  exports: [InferencePoolService, ENGINE_HEALTH],
})
export class InferencePoolModule {}
