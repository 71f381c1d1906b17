// What the /jobs routes need from a job backend: the embedded SQLite JobsService or the Redis/BullMQ one.
import type { JobSummary, JsonObject } from './job.types';
import type { CreateJobInput, CreatedJob, JobListQuery, JobPage, JobView } from './jobs.service';

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
