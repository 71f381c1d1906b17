import { Module } from '@nestjs/common';
import { ENGINE_HEALTH } from '../common/health/health-sources';
import { MetricsModule } from '../metrics/metrics.module';
import { InferencePoolService } from './pool.service';

/** The engine's worker pool, shared by inspection, detection and their jobs (and read by /health). */
@Module({
  imports: [MetricsModule],
  providers: [InferencePoolService, { provide: ENGINE_HEALTH, useExisting: InferencePoolService }],
  exports: [InferencePoolService, ENGINE_HEALTH],
})
export class PoolModule {}
