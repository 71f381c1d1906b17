import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString } from 'class-validator';

export const DEFAULT_MIN_SCORE = 0.35;

/** POST /detect/objects, and the fields of a `detect-objects` job. */
export class DetectObjectsDto {
  @ApiProperty({ description: 'Image as a data URL (data:image/png;base64,...) or bare base64; PNG, JPEG, BMP, WebP, ...' })
  @IsString()
  imageBase64!: string;

  @ApiPropertyOptional({ default: DEFAULT_MIN_SCORE, description: 'Objects scoring below this are dropped' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  minScore?: number;

  @ApiPropertyOptional({
    description: 'Test aid: sleep before decoding (abortable). Honoured only with BDI_DEBUG_SLEEP=1, capped at 30000 ms',
  })
  @IsOptional()
  @IsInt()
  debugSleepMs?: number;
}

export class DetectedObjectResponse {
  @ApiProperty({ description: 'Left edge, pixels' }) x!: number;
  @ApiProperty({ description: 'Top edge, pixels' }) y!: number;
  @ApiProperty() width!: number;
  @ApiProperty() height!: number;
  @ApiProperty({ example: 'foreground' }) label!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) score!: number;
}

export class DetectObjectsResponse {
  @ApiProperty({ type: [DetectedObjectResponse] }) objects!: DetectedObjectResponse[];
  @ApiProperty({ example: 'bdi-classical-foreground-1' }) modelVersion!: string;
  @ApiProperty({ description: 'Wall time of the request (sleep, decode, detect), ms, 2 decimals' }) latencyMs!: number;
  @ApiProperty() requestId!: string;
}
