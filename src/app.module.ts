import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ApiExceptionFilter } from './common/errors/api-exception.filter';
import { DiagnosticsModule } from './common/diagnostics/diagnostics.module';
import { ContractValidationPipe } from './common/validation/contract-validation.pipe';
import { DetectionModule } from './detection/detection.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { PoolModule } from './pool/pool.module';
import { InferenceModule } from './inference/inference.module';
import { DatasetsModule } from './datasets/datasets.module';
import { RecipesModule } from './recipes/recipes.module';
import { MetricsModule } from './metrics/metrics.module';
import { httpLogOptions } from './common/logging/http-log-options';
import { createRootLogger, ROOT_LOGGER } from './common/logging/root-logger';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extraModules: Array<Type | DynamicModule> = []): DynamicModule {
    const rootLogger = createRootLogger(config);
    const jobs = JobsModule.forRoot(config);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: { logger: rootLogger, ...httpLogOptions() },
        }),
        DiagnosticsModule,
        MetricsModule,
        PoolModule,
        HealthModule.forRoot(jobs),
        jobs,
        DetectionModule,
        RecipesModule,
        DatasetsModule,
        InferenceModule,
        ...extraModules,
      ],
      providers: [
        { provide: ROOT_LOGGER, useValue: rootLogger },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useClass: ContractValidationPipe },
      ],
      exports: [ROOT_LOGGER],
      global: true,
    };
  }
}
