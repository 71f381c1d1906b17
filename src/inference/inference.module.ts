import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { InferencePoolService } from './inference-pool.service';
import { InferenceController } from './inference.controller';
import { InferenceTasks } from './inference.tasks';
import { INSPECTION_ENGINE, InspectionEngine } from './inspection-engine';
import { InspectionDiagnostics } from './inspection-diagnostics.service';
import { ModelArtifacts } from './model-artifacts.service';
import { ModelStateService } from './model-state.service';
import { MultipartInterceptor } from './multipart.interceptor';
import { ScoringService } from './scoring.service';

/** /fit_ok, /calibrate_ng, /infer, /infer_dataset, /calibrate_dataset, /manifest, /state and their job tasks. */
@Module({
  controllers: [InferenceController],
  providers: [
    InspectionDiagnostics,
    ModelArtifacts,
    FitService,
    CalibrationService,
    ScoringService,
    ModelStateService,
    InferenceTasks,
    MultipartInterceptor,
    {
      provide: INSPECTION_ENGINE,
      inject: [InferencePoolService, APP_CONFIG],
      useFactory: (pool: InferencePoolService, config: AppConfig): InspectionEngine => ({
        size: Math.max(1, config.inference.workers),
        // Jobs (they carry a signal) wait for queue room; synchronous routes get 503 `overloaded` at once.
        fit: (input, options) =>
          pool.run('fit', input, { signal: options?.signal, waitForCapacity: options?.signal !== undefined, onProgress: options?.onProgress }),
        infer: (input, options) => pool.run('infer', input, { signal: options?.signal, waitForCapacity: options?.signal !== undefined }),
      }),
    },
  ],
  exports: [FitService, CalibrationService, ScoringService, ModelStateService],
})
export class InferenceModule {}
