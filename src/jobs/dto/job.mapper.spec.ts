import type { JobView } from '../jobs-api';
import { toJobAccepted, toJobItem, toJobList, toJobRequest, toJobResponse } from './job.mapper';

const job: JobView = {
  seq: 3,
  id: 'a1',
  task: 'infer',
  status: 'running',
  createdAt: Date.UTC(2030, 0, 1, 12, 0, 0, 5),
  startedAt: Date.UTC(2030, 0, 1, 12, 0, 1),
  finishedAt: null,
  error: null,
  errorCode: null,
  retryOf: null,
  idempotencyKey: 'k',
  requestId: 'stored-req',
  node: 'node-a',
  labels: { recipeId: 'r1', roiId: 'roi-2' },
  progress: { phase: 'features', done: 1, total: 4 },
};

describe('job mapper', () => {
  it('writes a job item with the wire names, in the contract order, ISO-8601 UTC times and absent labels as null', () => {
    expect(JSON.stringify(toJobItem(job))).toBe(
      '{"jobId":"a1","status":"running","task":"infer","createdAt":"2030-01-01T12:00:00.005Z","startedAt":"2030-01-01T12:00:01.000Z",' +
        '"finishedAt":null,"error":null,"errorCode":null,"retryOf":null,"node":"node-a","recipeId":"r1","roleId":null,"roiId":"roi-2",' +
        '"progress":{"phase":"features","done":1,"total":4}}',
    );
  });

  it("puts this request's id last on a single job and a page", () => {
    expect(Object.keys(toJobResponse(job, 'req-9')).slice(-2)).toEqual(['progress', 'requestId']);
    expect(toJobResponse(job, 'req-9').requestId).toBe('req-9');
    expect(JSON.stringify(toJobList({ items: [job], nextCursor: null }, 'req-9'))).toBe(
      `{"items":[${JSON.stringify(toJobItem(job))}],"nextCursor":null,"requestId":"req-9"}`,
    );
  });

  it('answers a create without retryOf and a retry with the job it retries', () => {
    expect(JSON.stringify(toJobAccepted(job, 'req-9'))).toBe('{"jobId":"a1","status":"running","acceptedAt":"2030-01-01T12:00:00.005Z","requestId":"req-9"}');
    expect(JSON.stringify(toJobAccepted(job, 'req-9', 'orig'))).toBe(
      '{"jobId":"a1","status":"running","acceptedAt":"2030-01-01T12:00:00.005Z","requestId":"req-9","retryOf":"orig"}',
    );
  });

  it('returns the stored request under "request"', () => {
    expect(toJobRequest(job, { n: 1 }, 'req-9')).toEqual({ jobId: 'a1', task: 'infer', request: { n: 1 }, requestId: 'req-9' });
  });
});
