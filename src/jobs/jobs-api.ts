// What the /jobs routes need from a job backend (the embedded SQLite JobsService or the Redis/BullMQ one), and the
// answers both backends give the same way: pages, results, failures, messages.
import { ApiError, isCodedError } from '../common/errors/api-error';
import { ERROR_CODES } from '../common/errors/error-codes';
import { decodeJobCursor, encodeJobCursor } from './job-cursor';
import type { JobProgress, JobRecord, JobStatus, JobSummary, JsonObject } from './job.types';

type MaybePromise<T> = T | Promise<T>;

export interface JobsApi {
  create(input: CreateJobInput): MaybePromise<CreatedJob>;
  get(jobId: string): MaybePromise<JobView>;
  result(jobId: string): MaybePromise<JsonObject>;
  request(jobId: string): MaybePromise<{ job: JobSummary; payload: JsonObject }>;
  cancel(jobId: string): MaybePromise<JobView>;
  retry(jobId: string, requestId: string): MaybePromise<JobSummary>;
  list(query: JobListQuery): MaybePromise<JobPage>;
}

export const JOBS_API = Symbol('JOBS_API');

export const CANCELED_MESSAGE = 'job canceled by user';
export const TIMEOUT_MESSAGE = 'job exceeded processing timeout';
export const INTERRUPTED_MESSAGE = ERROR_CODES.interrupted.message;
export const MAX_PAGE_SIZE = 100;

export interface CreateJobInput {
  task: string;
  /** The task's own fields (top-level body fields or the `payload` object). */
  fields: JsonObject;
  /** Where `fields` sit in the request body, for validation error locations. */
  fieldsLocation: string[];
  idempotencyKey: string | null;
  requestId: string;
}

export interface CreatedJob {
  job: JobSummary;
  /** True when an idempotency key returned an existing job instead of creating one. */
  replayed: boolean;
}

/** A job as the API shows it: the stored summary plus the progress of a running job. */
export interface JobView extends JobSummary {
  progress: JobProgress | null;
}

export interface JobPage {
  items: JobView[];
  nextCursor: string | null;
}

export interface JobListQuery {
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}

/** The limit and keyset position of a list request (400 invalid_pagination / invalid_cursor). */
export function pageOf(query: JobListQuery): { limit: number; beforeSeq: number | undefined } {
  const limit = query.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ApiError('invalid_pagination', undefined, { limit });
  }
  let beforeSeq: number | undefined;
  if (query.cursor !== undefined && query.cursor !== '') {
    const seq = decodeJobCursor(query.cursor);
    if (seq === null) throw new ApiError('invalid_cursor', undefined, { cursor: query.cursor });
    beforeSeq = seq;
  }
  return { limit, beforeSeq };
}

/** `limit + 1` rows → the page and the cursor of the next one. */
export function toPage<T extends JobSummary>(rows: T[], limit: number, view: (job: T) => JobView): JobPage {
  const items = rows.slice(0, limit).map(view);
  const nextCursor = rows.length > limit ? encodeJobCursor(items[items.length - 1].seq) : null;
  return { items, nextCursor };
}

/** The task's result plus jobId; a job that is not done answers with the reason (checked in the original's order). */
export function resultOf(job: JobRecord): JsonObject {
  const jobId = job.id;
  switch (job.status) {
    case 'failed':
      throw new ApiError('job_failed', job.error ?? undefined, { jobId });
    case 'timeout':
      throw new ApiError('job_timeout', job.error ?? undefined, { jobId });
    case 'canceled':
      throw new ApiError('job_canceled', job.error ?? undefined, { jobId });
    case 'done':
      return { ...(job.result ?? {}), jobId };
    default:
      throw new ApiError('job_not_completed', undefined, { jobId, status: job.status });
  }
}

export function notFound(jobId: string): ApiError {
  return new ApiError('job_not_found', undefined, { jobId });
}

export function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError || isCodedError(error)) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: ERROR_CODES.internal_error.message };
}

export function toJsonObject(value: unknown): JsonObject {
  // Round-trip through JSON: the stored payload is exactly what a retry or a restart will read back.
  const json: unknown = JSON.parse(JSON.stringify(value ?? {}));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('task payload must be a JSON object');
  return json as JsonObject;
}
