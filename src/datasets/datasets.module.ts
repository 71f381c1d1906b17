import { Module } from '@nestjs/common';
import { DiagnosticsModule } from '../common/diagnostics/diagnostics.module';
import { RecipesModule } from '../recipes/recipes.module';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';

@Module({ imports: [RecipesModule, DiagnosticsModule], controllers: [DatasetsController], providers: [DatasetsService], exports: [DatasetsService] })
export class DatasetsModule {}
