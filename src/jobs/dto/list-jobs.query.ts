import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString } from 'class-validator';
import { Coerce } from '../../common/validation/coerce';
import { JOB_STATUSES, JobStatus } from '../job.types';

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES, description: 'Only jobs in this status' })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  // Range errors are 400 invalid_pagination (checked by the service); only "not an integer" is a 422 here.
  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Coerce((raw) => (raw === undefined ? undefined : Number(raw)))
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque: the nextCursor of the previous page; empty = first page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}
