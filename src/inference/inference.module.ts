import { Module } from '@nestjs/common';
import { InferencePoolService } from '../pool/pool.service';
import { PoolModule } from '../pool/pool.module';
import { DiagnosticsModule } from '../common/diagnostics/diagnostics.module';
import { RecipesModule } from '../recipes/recipes.module';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { InferenceController } from './inference.controller';
import { InferenceTasks } from './inference.tasks';
import { INSPECTION_ENGINE, InspectionEngine } from './inspection-engine';
import { InspectionDiagnostics } from './inspection-diagnostics.service';
import { ModelArtifacts } from './model-artifacts.service';
import { ModelStateService } from './model-state.service';
import { MultipartInterceptor } from '../common/wire/multipart';
import { ScoringService } from './scoring.service';

/** /fit_ok, /calibrate_ng, /infer, /infer_dataset, /calibrate_dataset, /manifest, /state and their job tasks. */
@Module({
  imports: [PoolModule, RecipesModule, DiagnosticsModule],
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
      useFactory: (pool: InferencePoolService, config: AppConfig): InspectionEngine => {
        const size = Math.max(1, config.inference.workers);
        return {
          size,
          fit: (input, options) => pool.run('fit', input, options),
          // Every caller's image bytes (upload, job payload, dataset file) are read once: moved to the worker, not copied.
          infer: (input, options) => pool.run('infer', input, { ...options, transferImage: true }),
          preload: async (memory) => {
            const runs = Array.from({ length: size }, () => pool.run('loadMemory', { memory }, { priority: 'background' }));
            return (await Promise.all(runs)).filter((r) => r.loaded).length;
          },
        };
      },
    },
  ],
  exports: [FitService, CalibrationService, ScoringService, ModelStateService],
})
export class InferenceModule {}
