import { Global, Module } from '@nestjs/common';
import { ENGINE_HEALTH } from '../health/health-sources';
import { InferencePoolService } from './pool.service';

/** The engine's worker pool, shared by inspection, detection and their jobs. */
@Global()
@Module({
  providers: [InferencePoolService, { provide: ENGINE_HEALTH, useExisting: InferencePoolService }],
  exports: [InferencePoolService, ENGINE_HEALTH],
})
export class PoolModule {}
