import { Global, Module } from '@nestjs/common';
import { ModelStore } from './model-store';

/** Recipe context and the ModelStore repository (every path under BDI_MODELS_DIR). */
@Global()
@Module({ providers: [ModelStore], exports: [ModelStore] })
export class RecipesModule {}
