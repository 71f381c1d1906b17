import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/root-logger';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LocalModelLock, MODEL_LOCK, ModelLock } from './model-lock';
import { ModelStore } from './model-store';
import { RedisModelLock } from './redis-model-lock';

/**
 * Recipe context and the ModelStore repository (every path under BDI_MODELS_DIR). Its model lock is in-process, or
 * shared through Redis by every node of a deployment when BDI_REDIS_URL is set.
 */
@Module({
  providers: [
    ModelStore,
    {
      provide: MODEL_LOCK,
      inject: [APP_CONFIG, ROOT_LOGGER],
      useFactory: (config: AppConfig, logger: Logger): ModelLock =>
        config.jobs.redisUrl
          ? new RedisModelLock({ url: config.jobs.redisUrl, prefix: config.jobs.redisPrefix, leaseMs: config.jobs.lockMs, nodeId: config.jobs.nodeId, logger })
          : new LocalModelLock(),
    },
  ],
  exports: [ModelStore, MODEL_LOCK],
})
export class RecipesModule {}
