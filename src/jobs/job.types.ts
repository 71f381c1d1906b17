// The job record as the service sees it. Times are epoch milliseconds (UTC by construction); they become
// ISO-8601 strings only at the HTTP boundary, so no timezone can ever shift a TTL.

export const JOB_STATUSES = ['pending', 'running', 'done', 'failed', 'canceled', 'timeout'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['done', 'failed', 'canceled', 'timeout'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'running'];
/** Statuses a job can be re-submitted from with POST /jobs/{id}/retry. */
export const RETRYABLE_STATUSES: readonly JobStatus[] = ['failed', 'canceled', 'timeout'];

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** A JSON object as stored in the payload/result columns. */
export type JsonObject = Record<string, unknown>;

/** Everything about a job except its (possibly multi-MB) payload and its result. */
export interface JobSummary {
  /** Creation sequence: strictly increasing, the list order and the cursor key. */
  seq: number;
  id: string;
  task: string;
  status: JobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  errorCode: string | null;
  retryOf: string | null;
  idempotencyKey: string | null;
  /** X-Request-Id of the request that created the job; the run's logs and results carry it. */
  requestId: string;
  /** The node that ran or is running the job (BDI_NODE_ID); null while pending. */
  node: string | null;
  /** Who the work is for (from the payload), so lists can show it without reading payloads. */
  labels: JobLabels;
}

/** The inspection context of a job's payload; absent keys were not in it (e.g. detect-objects). */
export interface JobLabels {
  recipeId?: string;
  roleId?: string;
  roiId?: string;
}

/** Labels of a stored payload: recipe_id, role_id, roi_id when they are strings. */
export function jobLabelsOf(payload: JsonObject): JobLabels {
  const labels: JobLabels = {};
  if (typeof payload.recipe_id === 'string') labels.recipeId = payload.recipe_id;
  if (typeof payload.role_id === 'string') labels.roleId = payload.role_id;
  if (typeof payload.roi_id === 'string') labels.roiId = payload.roi_id;
  return labels;
}

/** Where a running job stands, as its task reported it (in memory only: it describes work in this process). */
export interface JobProgress {
  phase: string;
  done: number;
  total: number;
}

export interface JobRecord extends JobSummary {
  payload: JsonObject;
  fingerprint: string;
  result: JsonObject | null;
}

export interface NewJob {
  id: string;
  task: string;
  payload: JsonObject;
  fingerprint: string;
  idempotencyKey: string | null;
  requestId: string;
  retryOf: string | null;
  createdAt: number;
}

/** Why a job failed, as stored: message for people, code for programs. */
export interface JobFailure {
  code: string;
  message: string;
}
