import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
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
import { createRootLogger, ROOT_LOGGER } from './common/logging/root-logger';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extraModules: Array<Type | DynamicModule> = []): DynamicModule {
    const rootLogger = createRootLogger(config);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            logger: rootLogger,
            genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
            // Health probes and the monitor's polling would drown the log.
            autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|monitor)/.test(req.url ?? '') },
          },
        }),
        DiagnosticsModule,
        MetricsModule,
        PoolModule,
        HealthModule,
        JobsModule,
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
