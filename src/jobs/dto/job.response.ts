import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TASK_PHASES } from '../../engine/task-progress';
import { JOB_STATUSES } from '../job.types';

export class JobAcceptedResponse {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty({ enum: JOB_STATUSES, description: '"pending" for a new job; the current status on an idempotent replay' })
  status!: string;
  @ApiProperty({ format: 'date-time', description: 'Creation time (UTC, milliseconds)' }) acceptedAt!: string;
  @ApiProperty() requestId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Only on POST /jobs/{id}/retry: the job this one retries' })
  retryOf?: string;
}

export class JobProgressResponse {
  @ApiProperty({ enum: TASK_PHASES, example: 'features', description: 'tuning (fit: choosing the detector profile on synthetic defects), features (fit: images through the backbone), coreset, artifacts, inference (dataset images scored), calibration' })
  phase!: string;
  @ApiProperty({ example: 37 }) done!: number;
  @ApiProperty({ example: 156 }) total!: number;
}

export class JobItemResponse {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: string;
  @ApiProperty({ example: 'detect-objects' }) task!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'job canceled by user' }) error!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Machine-readable reason of failed/canceled/timeout (e.g. invalid_image_payload, interrupted)',
  })
  errorCode!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The job this one retries' }) retryOf!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The node (BDI_NODE_ID) that ran or is running the job; null while pending' })
  node!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'recipe_id of the task payload (inspection tasks)' })
  recipeId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'role_id of the task payload (inspection tasks)' }) roleId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'roi_id of the task payload (inspection tasks)' }) roiId!: string | null;
  @ApiProperty({
    nullable: true,
    type: () => JobProgressResponse,
    description: 'Where a running long task (fit-ok, infer-dataset, calibrate-dataset) stands; null otherwise',
  })
  progress!: JobProgressResponse | null;
}

export class JobResponse extends JobItemResponse {
  @ApiProperty() requestId!: string;
}

export class JobListResponse {
  @ApiProperty({ type: [JobItemResponse] }) items!: JobItemResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'Opaque cursor of the next page; null on the last page' })
  nextCursor!: string | null;
  @ApiProperty() requestId!: string;
}

export class JobResultResponse {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiPropertyOptional({ description: 'detect-objects: the request id stored when the detection ran' }) requestId?: string;
  [key: string]: unknown;
}

export class JobRequestResponse {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty({ example: 'infer' }) task!: string;
  @ApiProperty({ description: 'The task fields as stored (after validation and defaults)', type: 'object', additionalProperties: true })
  request!: Record<string, unknown>;
  @ApiProperty() requestId!: string;
}
