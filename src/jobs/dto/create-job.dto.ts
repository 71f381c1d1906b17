import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/**
 * POST /jobs. The task's own fields are either top-level (as the original AI-MVP sends detect-objects:
 * `{task, imageBase64, minScore}`) or grouped in `payload` (handy for inspection tasks). When `payload` is an object
 * it is used and other top-level fields are ignored.
 */
export class CreateJobDto {
  @ApiProperty({ example: 'detect-objects', description: 'Task name; unknown names answer 400 unsupported_task' })
  @IsString()
  @IsNotEmpty()
  task!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
    description:
      'Same key + same payload returns the existing job; a different payload answers 422 idempotency_key_conflict. ' +
      'Empty or null: no idempotency. May also be sent as the Idempotency-Key header (both must then agree).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_IDEMPOTENCY_KEY_LENGTH)
  idempotencyKey?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Task fields as one object (alternative to top-level fields)',
  })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'detect-objects: image as a data URL or bare base64' })
  imageBase64?: unknown;

  @ApiPropertyOptional({ description: 'detect-objects: minimum score of a returned object', default: 0.35 })
  minScore?: unknown;

  @ApiPropertyOptional({ description: 'detect-objects: test aid, honoured only with BDI_DEBUG_SLEEP=1 (max 30000)' })
  debugSleepMs?: unknown;

  [field: string]: unknown;
}

const ENVELOPE_FIELDS = new Set(['task', 'idempotencyKey', 'payload']);

/** The task's fields and where they sit in the body (for validation error locations). */
export function taskFieldsOf(body: CreateJobDto): { fields: Record<string, unknown>; location: string[] } {
  if (body.payload && typeof body.payload === 'object') return { fields: { ...body.payload }, location: ['body', 'payload'] };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!ENVELOPE_FIELDS.has(key)) fields[key] = value;
  return { fields, location: ['body'] };
}
