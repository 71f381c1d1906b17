// Job records in Redis: one hash per job, sorted sets for the list order (creation sequence), per-status lists and
// finish times, one key per idempotency key. Every write that must be atomic across nodes is one Lua script:
// create-or-find by idempotency key, conditional transitions (a terminal state is final), eviction.
import Redis from 'ioredis';
import type { Completion, CreateOutcome, ListQuery } from '../job.repository';
import { JOB_STATUSES, jobLabelsOf, JobLabels, JobProgress, JobRecord, JobStatus, JobSummary, JsonObject, NewJob, TERMINAL_STATUSES } from '../job.types';

const NULL = '\u0000null';

const CREATE = `
local P, id, key = ARGV[1], ARGV[2], ARGV[3]
if key ~= '' then
  local existing = redis.call('GET', P .. ':idem:' .. key)
  if existing then return {0, existing} end
end
local seq = redis.call('INCR', P .. ':seq')
local h = P .. ':job:' .. id
redis.call('HSET', h, 'seq', seq, 'id', id, 'task', ARGV[4], 'status', 'pending', 'createdAt', ARGV[5], 'requestId', ARGV[6],
  'fingerprint', ARGV[7], 'payload', ARGV[8], 'labels', ARGV[10])
if ARGV[9] ~= '' then redis.call('HSET', h, 'retryOf', ARGV[9]) end
if key ~= '' then
  redis.call('HSET', h, 'idempotencyKey', key)
  redis.call('SET', P .. ':idem:' .. key, id)
  redis.call('SADD', P .. ':idemkeys', key)
end
redis.call('ZADD', P .. ':all', seq, id)
redis.call('ZADD', P .. ':st:pending', seq, id)
return {1, id}
`;

// ARGV: prefix, id, to, n, from_1..from_n, field, value, ... (value NULL deletes the field)
const TRANSITION = `
local P, id, to, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local h = P .. ':job:' .. id
local cur = redis.call('HGET', h, 'status')
if not cur then return 0 end
local allowed = false
for i = 1, n do if ARGV[4 + i] == cur then allowed = true end end
if not allowed then return 0 end
for i = 5 + n, #ARGV, 2 do
  if ARGV[i + 1] == '${NULL}' then redis.call('HDEL', h, ARGV[i]) else redis.call('HSET', h, ARGV[i], ARGV[i + 1]) end
end
local seq = redis.call('HGET', h, 'seq')
redis.call('HSET', h, 'status', to)
redis.call('ZREM', P .. ':st:' .. cur, id)
redis.call('ZADD', P .. ':st:' .. to, seq, id)
local fin = redis.call('HGET', h, 'finishedAt')
if fin then redis.call('ZADD', P .. ':fin', tonumber(fin), id) end
return 1
`;

// Deletes finished jobs: those finished at or before ARGV[2], then the oldest finished ones while more than ARGV[3]
// jobs are stored. Pending and running jobs are never deleted.
const SWEEP = `
local P, cutoff, maxItems = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function drop(id)
  local h = P .. ':job:' .. id
  local status = redis.call('HGET', h, 'status')
  local key = redis.call('HGET', h, 'idempotencyKey')
  if key then redis.call('DEL', P .. ':idem:' .. key); redis.call('SREM', P .. ':idemkeys', key) end
  if status then redis.call('ZREM', P .. ':st:' .. status, id) end
  redis.call('ZREM', P .. ':all', id)
  redis.call('ZREM', P .. ':fin', id)
  redis.call('DEL', h)
end
local removed = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. ':fin', '-inf', cutoff)) do drop(id); removed = removed + 1 end
local excess = redis.call('ZCARD', P .. ':all') - maxItems
if excess > 0 then
  local finished = {}
  for _, s in ipairs({${TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ')}}) do
    for _, pair in ipairs(redis.call('ZRANGE', P .. ':st:' .. s, 0, excess - 1, 'WITHSCORES')) do table.insert(finished, pair) end
  end
  local ids = {}
  for i = 1, #finished, 2 do table.insert(ids, {finished[i], tonumber(finished[i + 1])}) end
  table.sort(ids, function(a, b) return a[2] < b[2] end)
  for i = 1, math.min(excess, #ids) do drop(ids[i][1]); removed = removed + 1 end
end
return removed
`;

type Scripts = {
  bdiCreate(...args: string[]): Promise<[number, string]>;
  bdiTransition(...args: string[]): Promise<number>;
  bdiSweep(...args: string[]): Promise<number>;
};

export class RedisJobStore {
  private readonly redis: Redis & Scripts;

  constructor(
    client: Redis,
    private readonly prefix: string,
  ) {
    client.defineCommand('bdiCreate', { numberOfKeys: 0, lua: CREATE });
    client.defineCommand('bdiTransition', { numberOfKeys: 0, lua: TRANSITION });
    client.defineCommand('bdiSweep', { numberOfKeys: 0, lua: SWEEP });
    this.redis = client as Redis & Scripts;
  }

  /** Inserts the job, or returns the job that already holds its idempotency key (atomic across nodes). */
  async createOrFind(job: NewJob): Promise<CreateOutcome> {
    const [created, id] = await this.redis.bdiCreate(
      this.prefix,
      job.id,
      job.idempotencyKey ?? '',
      job.task,
      String(job.createdAt),
      job.requestId,
      job.fingerprint,
      JSON.stringify(job.payload),
      job.retryOf ?? '',
      JSON.stringify(jobLabelsOf(job.payload)),
    );
    const record = await this.find(id);
    if (!record) throw new Error(`job ${id} vanished right after its creation`);
    return { created: created === 1, job: record } as CreateOutcome;
  }

  async find(id: string): Promise<RedisJobRecord | null> {
    return toRecord(await this.redis.hgetall(this.key(id)));
  }

  async findSummary(id: string): Promise<RedisJobRecord | null> {
    return this.find(id);
  }

  /** Moves a job from one of `from` to `to`, setting `fields`; false when it is in another state (or gone). */
  async transition(id: string, from: readonly JobStatus[], to: JobStatus, fields: Record<string, string | number | null>): Promise<boolean> {
    const pairs = Object.entries(fields).flatMap(([k, v]) => [k, v === null ? NULL : String(v)]);
    return (await this.redis.bdiTransition(this.prefix, id, to, String(from.length), ...from, ...pairs)) === 1;
  }

  complete(id: string, from: readonly JobStatus[], completion: Completion): Promise<boolean> {
    return this.transition(id, from, completion.status, {
      finishedAt: completion.finishedAt,
      result: completion.result ? JSON.stringify(completion.result) : null,
      error: completion.error ?? null,
      errorCode: completion.errorCode ?? null,
      progress: null,
    });
  }

  /** The last progress a running job reported (kept in its record, so every node shows it). */
  async setProgress(id: string, progress: JobProgress): Promise<void> {
    await this.redis.hset(this.key(id), 'progress', JSON.stringify(progress));
  }

  async list(query: ListQuery): Promise<RedisJobRecord[]> {
    const set = query.status ? `${this.prefix}:st:${query.status}` : `${this.prefix}:all`;
    const max = query.beforeSeq !== undefined ? `(${query.beforeSeq}` : '+inf';
    const ids = await this.redis.zrevrangebyscore(set, max, '-inf', 'LIMIT', 0, query.limit);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const rows = (await pipeline.exec()) ?? [];
    return rows.map(([, row]) => toRecord(row as Record<string, string>)).filter((r): r is RedisJobRecord => r !== null);
  }

  async sweep(cutoff: number, maxItems: number): Promise<number> {
    return this.redis.bdiSweep(this.prefix, String(cutoff), String(maxItems));
  }

  async countsByStatus(): Promise<Record<JobStatus, number>> {
    const pipeline = this.redis.pipeline();
    for (const status of JOB_STATUSES) pipeline.zcard(`${this.prefix}:st:${status}`);
    const rows = (await pipeline.exec()) ?? [];
    return Object.fromEntries(JOB_STATUSES.map((status, i) => [status, Number(rows[i]?.[1] ?? 0)])) as Record<JobStatus, number>;
  }

  async idempotencyKeyCount(): Promise<number> {
    return this.redis.scard(`${this.prefix}:idemkeys`);
  }

  private key(id: string): string {
    return `${this.prefix}:job:${id}`;
  }
}

function num(value: string | undefined): number | null {
  return value === undefined ? null : Number(value);
}

/** A stored record plus the progress its running node reported. */
export type RedisJobRecord = JobRecord & { progress: JobProgress | null };

function toRecord(row: Record<string, string> | null): RedisJobRecord | null {
  if (!row || row.id === undefined) return null;
  return {
    seq: Number(row.seq),
    id: row.id,
    task: row.task,
    status: row.status as JobStatus,
    createdAt: Number(row.createdAt),
    startedAt: num(row.startedAt),
    finishedAt: num(row.finishedAt),
    error: row.error ?? null,
    errorCode: row.errorCode ?? null,
    retryOf: row.retryOf ?? null,
    idempotencyKey: row.idempotencyKey ?? null,
    requestId: row.requestId,
    node: row.node ?? null,
    labels: row.labels ? (JSON.parse(row.labels) as JobLabels) : {},
    progress: row.status === 'running' && row.progress ? (JSON.parse(row.progress) as JobProgress) : null,
    fingerprint: row.fingerprint,
    payload: JSON.parse(row.payload) as JsonObject,
    result: row.result === undefined ? null : (JSON.parse(row.result) as JsonObject),
  };
}
