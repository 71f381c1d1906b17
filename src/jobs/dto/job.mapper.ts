// Job records → the /jobs wire objects: epoch ms become ISO-8601 UTC strings, labels become recipeId/roleId/roiId.
// Key order is part of the answer's bytes: keep it.
import type { JobView } from '../jobs-api';
import type { JobSummary, JsonObject } from '../job.types';
import type { JobAcceptedResponse, JobItemResponse, JobListResponse, JobRequestResponse, JobResponse } from './job.response';

export function toJobItem(job: JobView): JobItemResponse {
  return {
    jobId: job.id,
    status: job.status,
    task: job.task,
    createdAt: iso(job.createdAt),
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
    error: job.error,
    errorCode: job.errorCode,
    retryOf: job.retryOf,
    node: job.node,
    recipeId: job.labels.recipeId ?? null,
    roleId: job.labels.roleId ?? null,
    roiId: job.labels.roiId ?? null,
    progress: job.progress,
  };
}

export function toJobResponse(job: JobView, requestId: string): JobResponse {
  return { ...toJobItem(job), requestId };
}

export function toJobList(page: { items: JobView[]; nextCursor: string | null }, requestId: string): JobListResponse {
  return { items: page.items.map(toJobItem), nextCursor: page.nextCursor, requestId };
}

/** POST /jobs answers the new (or replayed) job; POST /jobs/{id}/retry adds the job it retries. */
export function toJobAccepted(job: JobSummary, requestId: string, retryOf?: string): JobAcceptedResponse {
  const accepted: JobAcceptedResponse = { jobId: job.id, status: job.status, acceptedAt: iso(job.createdAt), requestId };
  if (retryOf !== undefined) accepted.retryOf = retryOf;
  return accepted;
}

export function toJobRequest(job: JobSummary, payload: JsonObject, requestId: string): JobRequestResponse {
  return { jobId: job.id, task: job.task, request: payload, requestId };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : iso(epochMs);
}
