import { DynamicModule, Module } from '@nestjs/common';
import { PoolModule } from '../pool/pool.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** /health reads the engine (PoolModule's ENGINE_HEALTH) and the job backend (JOBS_HEALTH of the app's JobsModule). */
@Module({})
export class HealthModule {
  /** `jobs`: the JobsModule.forRoot() object the app imports (the same object, so the same backend instance). */
  static forRoot(jobs: DynamicModule): DynamicModule {
    return { module: HealthModule, imports: [PoolModule, jobs], controllers: [HealthController], providers: [HealthService], exports: [HealthService] };
  }
}
