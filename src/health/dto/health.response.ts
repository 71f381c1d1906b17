import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthResponse {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty({ enum: ['cpu', 'cuda'] }) device!: string;
  @ApiPropertyOptional({ example: 'cuda_not_available', description: 'Present when running on the CPU' })
  reason?: string;
  @ApiProperty({ enum: ['cpu', 'cuda', 'auto'], description: 'BDI_DEVICE: the execution provider asked for' }) deviceRequested!: string;
  @ApiPropertyOptional({ description: 'Why CUDA is not in use although it was asked for, or why the backbone did not load' })
  deviceDetail?: string;
  @ApiProperty({ description: 'Backbone in use' }) model!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ example: 'bdi-backend' }) service!: string;
  @ApiProperty() ready!: boolean;
  @ApiProperty({ description: 'Inference worker threads' }) workers!: number;
  @ApiProperty() jobsInMemory!: number;
  @ApiProperty() idempotencyKeysInMemory!: number;
  @ApiProperty() jobRunTimeoutSec!: number;
  @ApiProperty({ description: 'Jobs by status', type: 'object', additionalProperties: { type: 'number' } })
  jobs!: Record<string, number>;
  @ApiProperty({ description: "Job backend (sqlite|redis), its connection state (up|down) and this node's id (BDI_NODE_ID)", example: { backend: 'sqlite', connection: 'up', node: 'host-1234' } })
  jobsBackend!: { backend: 'sqlite' | 'redis'; connection: 'up' | 'down'; node: string };
  @ApiProperty() request_id!: string;
  @ApiProperty() recipe_id!: string;
  @ApiProperty() requestId!: string;
}

export class LivenessResponse {
  @ApiProperty({ example: 'ok' }) status!: string;
  @ApiProperty() requestId!: string;
}

export class ReadinessResponse {
  @ApiProperty({ example: 'ready' }) status!: string;
  @ApiProperty() requestId!: string;
}
