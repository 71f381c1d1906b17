// The inspection operations as job tasks (`infer`, `fit-ok`, `infer-dataset`, `calibrate-dataset`): JSON
// versions of the routes' fields, validated at creation, run by the same service methods as the routes.
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { decodeImagePayload } from '../detection/image-payload';
import { JobRunContext, JobTaskHandler, JobTaskRegistry } from '../jobs/job-task-registry';
import { JsonObject } from '../jobs/job.types';
import { resolveRecipeId } from '../recipes/recipe-id';
import { parseBoolWord, parsePythonFloat } from './form-fields';
import { calibrateDatasetFromJson, inferDatasetFromJson } from './inference-inputs';
import { CalibrationService } from './calibration.service';
import { FitService } from './fit.service';
import { ScoringService } from './scoring.service';

type FieldError = { loc: string[]; field: string; message: string };

class Fields {
  readonly errors: FieldError[] = [];
  constructor(
    readonly values: JsonObject,
    private readonly loc: string[],
  ) {}

  fail(field: string, message: string): void {
    this.errors.push({ loc: [...this.loc, field], field, message });
  }

  string(field: string, required: boolean): string | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(field, 'Field required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(field, 'Input should be a valid string');
      return undefined;
    }
    return v;
  }

  number(field: string, required: boolean): number | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(field, 'Field required');
      return undefined;
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parsePythonFloat(v) : undefined;
    if (n === undefined) this.fail(field, 'Input should be a valid number');
    return n;
  }

  bool(field: string): boolean | undefined {
    const v = this.values[field];
    if (v === undefined || v === null || v === '') return undefined;
    const b = typeof v === 'boolean' ? v : typeof v === 'string' ? parseBoolWord(v) : undefined;
    if (b === undefined) this.fail(field, 'Input should be a valid boolean');
    return b;
  }

  recipe(): string {
    try {
      return resolveRecipeId(this.values.recipe_id, undefined);
    } catch (error) {
      this.fail('recipe_id', (error as Error).message);
      return 'default';
    }
  }

  done(): void {
    if (this.errors.length > 0) throw new ApiError('validation_error', undefined, { errors: this.errors });
  }
}

function modelKeyOf(values: JsonObject, roiId: string): string {
  return typeof values.model_key === 'string' && values.model_key !== '' ? values.model_key : roiId;
}

@Injectable()
export class InferenceTasks implements OnModuleInit {
  constructor(
    @Inject(JobTaskRegistry) private readonly registry: JobTaskRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly fit: FitService,
    private readonly calibration: CalibrationService,
    private readonly scoring: ScoringService,
  ) {}

  onModuleInit(): void {
    const long = (config: AppConfig) => config.jobs.longRunTimeoutSeconds;
    const handlers: JobTaskHandler<JsonObject>[] = [
      {
        name: 'infer',
        timeoutSeconds: (config) => config.jobs.runTimeoutSeconds,
        validate: (fields, location = ['body']) => {
          const f = new Fields(fields, location);
          const recipeId = f.recipe();
          const roleId = f.string('role_id', true);
          const roiId = f.string('roi_id', true);
          const mmPerPx = f.number('mm_per_px', true);
          const imageBase64 = f.string('imageBase64', true);
          const includeHeatmap = f.bool('include_heatmap');
          const shape = fields.shape;
          if (shape !== undefined && shape !== null && typeof shape !== 'string' && (typeof shape !== 'object' || Array.isArray(shape))) {
            f.fail('shape', 'Input should be a JSON object or JSON text');
          }
          f.done();
          decodeImagePayload(imageBase64 as string);
          return {
            recipe_id: recipeId,
            role_id: roleId,
            roi_id: roiId,
            model_key: modelKeyOf(fields, roiId as string),
            mm_per_px: mmPerPx,
            imageBase64,
            shape: (shape ?? null) as unknown,
            ...(includeHeatmap === undefined ? {} : { include_heatmap: includeHeatmap }),
          };
        },
        run: async (p, context: JobRunContext) => {
          const result = await this.scoring.infer({
            requestId: context.requestId,
            recipeId: p.recipe_id as string,
            roleId: p.role_id as string,
            roiId: p.roi_id as string,
            modelKey: p.model_key as string,
            mmPerPx: p.mm_per_px as number,
            image: decodeImagePayload(p.imageBase64 as string),
            shape: (p.shape ?? null) as string | Record<string, unknown> | null,
            includeHeatmap: p.include_heatmap as boolean | undefined,
          }, context.signal);
          return result as unknown as JsonObject;
        },
      },
      {
        name: 'fit-ok',
        timeoutSeconds: long,
        validate: (fields, location = ['body']) => {
          const f = new Fields(fields, location);
          const recipeId = f.recipe();
          const roleId = f.string('role_id', true);
          const roiId = f.string('roi_id', true);
          const mmPerPx = f.number('mm_per_px', true);
          const memoryFit = f.bool('memory_fit') ?? false;
          const useDataset = f.bool('use_dataset') ?? false;
          const images = fields.imagesBase64;
          if (images !== undefined && images !== null && (!Array.isArray(images) || images.some((i) => typeof i !== 'string'))) {
            f.fail('imagesBase64', 'Input should be a list of base64 strings');
          }
          f.done();
          ((images as string[] | undefined) ?? []).forEach((i) => decodeImagePayload(i));
          return {
            recipe_id: recipeId,
            role_id: roleId,
            roi_id: roiId,
            model_key: modelKeyOf(fields, roiId as string),
            mm_per_px: mmPerPx,
            memory_fit: memoryFit,
            use_dataset: useDataset,
            imagesBase64: (images as string[] | undefined) ?? [],
          };
        },
        run: async (p, context) =>
          (await this.fit.fitOk(
            {
              requestId: context.requestId,
              recipeId: p.recipe_id as string,
              roleId: p.role_id as string,
              roiId: p.roi_id as string,
              modelKey: p.model_key as string,
              mmPerPx: p.mm_per_px as number,
              memoryFit: p.memory_fit as boolean,
              useDataset: p.use_dataset as boolean,
              images: (p.imagesBase64 as string[]).map((b, i) => ({ bytes: decodeImagePayload(b), name: `image_${i}` })),
            },
            context.signal,
            context.reportProgress,
          )) as unknown as JsonObject,
      },
      {
        name: 'infer-dataset',
        timeoutSeconds: long,
        validate: (fields, location = ['body']) => {
          const f = new Fields(fields, location);
          const recipeId = f.recipe();
          f.done();
          const input = inferDatasetFromJson(fields, { recipeId, requestId: '' }, location);
          return {
            recipe_id: recipeId,
            role_id: input.roleId,
            roi_id: input.roiId,
            model_key: input.modelKey,
            labels: input.labels,
            include_heatmap: input.includeHeatmap,
            default_mm_per_px: input.defaultMmPerPx as unknown,
          };
        },
        run: async (p, context) => {
          const input = inferDatasetFromJson(p, { recipeId: p.recipe_id as string, requestId: context.requestId });
          return this.scoring.inferDataset(input, context.signal, context.reportProgress);
        },
      },
      {
        name: 'calibrate-dataset',
        timeoutSeconds: long,
        validate: (fields, location = ['body']) => {
          const f = new Fields(fields, location);
          const recipeId = f.recipe();
          f.done();
          const input = calibrateDatasetFromJson(fields, { recipeId, requestId: '' }, this.config, location);
          return {
            recipe_id: recipeId,
            role_id: input.roleId,
            roi_id: input.roiId,
            model_key: input.modelKey,
            score_percentile: input.scorePercentile,
            area_mm2_thr: input.areaMm2Thr,
            default_mm_per_px: input.defaultMmPerPx as unknown,
            require_ng: input.requireNg,
          };
        },
        run: async (p, context) => {
          const input = calibrateDatasetFromJson(p, { recipeId: p.recipe_id as string, requestId: context.requestId }, this.config);
          return this.calibration.calibrateDataset(input, context.signal, context.reportProgress);
        },
      },
    ];
    for (const handler of handlers) this.registry.register(handler);
  }
}
