// Swagger UI at /docs and the OpenAPI JSON at /docs-json. The DTOs drive request bodies, query parameters and 200
// schemas; this file adds what decorators cannot say: the error contract with an example per code and status,
// and the POST /jobs body as a union discriminated by `task` (one variant per task, each with a valid example).
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_CODES } from './common/errors/error-codes';
import { AppConfig } from './config/app-config';
import { DetectObjectsDto } from './detection/dto/detect-objects.dto';
import { CalibrateDatasetJobFields, FitOkJobFields, InferDatasetJobFields, InferJobFields } from './inference/dto/inspection-jobs.dto';
import { JOB_TASK_NAMES, JobTaskName } from './jobs/job-task';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'requestId', 'details'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    message: { type: 'string' },
    requestId: { type: 'string' },
    details: { type: 'object', nullable: true, additionalProperties: true },
    error: { type: 'string', description: 'Inspection routes and /health only: same as message (legacy clients)' },
    request_id: { type: 'string', description: 'Inspection routes and /health only' },
    recipe_id: { type: 'string', description: 'Inspection routes and /health only' },
  },
};

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request (the code says which)',
  401: 'Missing or invalid API key (when BDI_API_KEY is set)',
  404: 'Not found',
  405: 'Method not allowed (Allow header lists the methods)',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Request validation failed (details.errors names each field)',
  500: 'Internal error (no stack in the body)',
  503: 'Overloaded or not ready (Retry-After)',
  507: 'Not enough free space in the models directory',
};

/** Every error code with its status, as response examples: the status's codes, each with its default message. */
function errorResponses(): Record<string, object> {
  const responses: Record<string, object> = {};
  for (const [status, description] of Object.entries(STATUS_DESCRIPTIONS)) {
    const examples: Record<string, object> = {};
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      if (spec.status !== Number(status)) continue;
      const details = code === 'validation_error' ? { errors: [{ loc: ['body', 'role_id'], field: 'role_id', message: 'Field required' }] } : null;
      examples[code] = { summary: spec.message, value: { code, message: spec.message, requestId: 'b3c1f0e2-6f1d-4d0e-9a55-1c2d3e4f5a6b', details } };
    }
    responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' }, examples } } };
  }
  return responses;
}

// A 1×1 PNG: enough for a job to pass validation at creation.
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const MODEL = { role_id: 'Inspection', roi_id: 'inspection-1' };

/** Each task's fields (the `payload` object, or top-level fields beside `task`) and a valid example of them. */
const JOB_TASKS: Record<JobTaskName, { fields: new () => object; example: Record<string, unknown> }> = {
  'detect-objects': { fields: DetectObjectsDto, example: { imageBase64: `data:image/png;base64,${PNG_1X1}`, minScore: 0.35 } },
  infer: { fields: InferJobFields, example: { ...MODEL, mm_per_px: 0.2, imageBase64: PNG_1X1, shape: { kind: 'circle', cx: 64, cy: 64, r: 60 } } },
  'fit-ok': { fields: FitOkJobFields, example: { ...MODEL, mm_per_px: 0.2, use_dataset: true } },
  'infer-dataset': { fields: InferDatasetJobFields, example: { ...MODEL, labels: ['ok', 'ng'] } },
  'calibrate-dataset': { fields: CalibrateDatasetJobFields, example: { ...MODEL, default_mm_per_px: 0.2, require_ng: false } },
};

function jobVariantName(task: string): string {
  return `CreateJob_${task.replace(/-/g, '_')}`;
}

/** POST /jobs: oneOf the tasks, discriminated by `task`. */
function documentJobUnion(document: OpenAPIObject): void {
  const schemas = (document.components!.schemas ??= {});
  for (const task of JOB_TASK_NAMES) {
    const { fields, example } = JOB_TASKS[task];
    schemas[jobVariantName(task)] = {
      type: 'object',
      required: ['task', 'payload'],
      description: `Task "${task}". The fields may also be sent beside "task" instead of in "payload".`,
      properties: {
        task: { type: 'string', enum: [task] },
        idempotencyKey: { type: 'string', nullable: true, maxLength: 256, description: 'Same key + same payload returns the existing job' },
        payload: { $ref: getSchemaPath(fields) },
      },
      example: { task, payload: example },
    };
  }
  const create = document.paths['/jobs']?.post;
  if (!create) return;
  const variants = JOB_TASK_NAMES.map((task) => ({ $ref: `#/components/schemas/${jobVariantName(task)}` }));
  create.requestBody = {
    required: true,
    content: {
      'application/json': {
        schema: {
          oneOf: variants,
          discriminator: { propertyName: 'task', mapping: Object.fromEntries(JOB_TASK_NAMES.map((t) => [t, `#/components/schemas/${jobVariantName(t)}`])) },
        },
        examples: Object.fromEntries(JOB_TASK_NAMES.map((task) => [task, { summary: task, value: { task, payload: JOB_TASKS[task].example } }])),
      },
    },
  };
}

export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  const builder = new DocumentBuilder()
    .setTitle('BDI backend')
    .setDescription(
      'Brake-disc visual inspection (PatchCore over ViT features) and asynchronous jobs. Every error is ' +
        'JSON: {code, message, requestId, details}; the examples of each status list its codes.',
    )
    .setVersion(config.version)
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key');
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: Object.values(JOB_TASKS).map((t) => t.fields) });
  document.components = document.components ?? {};
  document.components.schemas = { ...(document.components.schemas ?? {}), ErrorResponse: ERROR_SCHEMA };
  const errors = errorResponses();
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = (operation as { responses: Record<string, unknown> }).responses;
      for (const [status, response] of Object.entries(errors)) {
        const existing = responses[status] as { description?: string } | undefined;
        // A route's own description of a status (e.g. "job_not_found") is kept; the contract adds the examples.
        responses[status] = existing?.description ? { ...response, description: existing.description } : response;
      }
    }
  }
  documentJobUnion(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
