import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from './config/app-config';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'requestId', 'details'],
  properties: {
    code: { type: 'string', example: 'validation_error' },
    message: { type: 'string' },
    requestId: { type: 'string' },
    details: { type: 'object', nullable: true, additionalProperties: true },
    error: { type: 'string', description: 'Inspection routes and /health only: same as message (legacy clients)' },
    request_id: { type: 'string', description: 'Inspection routes and /health only' },
    recipe_id: { type: 'string', description: 'Inspection routes and /health only' },
  },
};

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Bad request (specific code in the body)',
  '401': 'Missing or invalid API key (when BDI_API_KEY is set)',
  '404': 'Not found',
  '405': 'Method not allowed (Allow header lists the methods)',
  '409': 'Conflict',
  '413': 'Payload too large',
  '422': 'Request validation failed (details.errors names each field)',
  '500': 'Internal error (no stack in the body)',
  '503': 'Overloaded or not ready (Retry-After)',
};

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json; every operation documents the error contract. */
export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  const builder = new DocumentBuilder()
    .setTitle('BDI backend')
    .setDescription(
      'Brake-disc visual inspection (PatchCore over ViT features) and asynchronous jobs. Every error is ' +
        'JSON: {code, message, requestId, details}.',
    )
    .setVersion(config.version)
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key');
  const document = SwaggerModule.createDocument(app, builder.build());
  document.components = document.components ?? {};
  document.components.schemas = { ...(document.components.schemas ?? {}), ErrorResponse: ERROR_SCHEMA };
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = (operation as { responses: Record<string, unknown> }).responses;
      for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
        responses[status] ??= {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
        };
      }
    }
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
