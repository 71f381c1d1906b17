import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InferencePoolService } from './inference-pool.service';
import { InferenceController } from './inference.controller';
import { InferenceService } from './inference.service';
import { InferenceTasks } from './inference.tasks';
import { INSPECTION_ENGINE, InspectionEngine } from './inspection-engine';
import { MultipartInterceptor } from './multipart.interceptor';

/** /fit_ok, /calibrate_ng, /infer, /infer_dataset, /calibrate_dataset, /manifest, /state and their job tasks. */
@Module({
  controllers: [InferenceController],
  providers: [
    InferenceService,
    InferenceTasks,
    MultipartInterceptor,
    {
      provide: INSPECTION_ENGINE,
      inject: [InferencePoolService, APP_CONFIG],
      useFactory: (pool: InferencePoolService, config: AppConfig): InspectionEngine => ({
        size: Math.max(1, config.inference.workers),
        // Jobs (they carry a signal) wait for queue room; synchronous routes get 503 `overloaded` at once.
        fit: (input, options) => pool.run('fit', input, { signal: options?.signal, waitForCapacity: options?.signal !== undefined }),
        infer: (input, options) => pool.run('infer', input, { signal: options?.signal, waitForCapacity: options?.signal !== undefined }),
      }),
    },
  ],
  exports: [InferenceService],
})
export class InferenceModule {}
