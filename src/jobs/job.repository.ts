// SQLite persistence of jobs (better-sqlite3, WAL). Owns every SQL statement and nothing else: the state machine
// lives in JobsService, which passes the allowed source statuses of each transition so that every status change is a
// conditional UPDATE and a late writer can never overwrite a terminal state.
import { rethrowIfStorageFull } from '../common/errors/storage-full';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jobLabelsOf, JobLabels, JobRecord, JobStatus, JobSummary, JsonObject, NewJob, TERMINAL_STATUSES } from './job.types';

interface JobRow {
  seq: number;
  id: string;
  task: string;
  status: JobStatus;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  error_code: string | null;
  retry_of: string | null;
  idempotency_key: string | null;
  request_id: string;
  node: string | null;
  /** JSON of the job's JobLabels (null for rows written before the column existed). */
  labels: string | null;
}

interface FullJobRow extends JobRow {
  fingerprint: string;
  payload: string;
  result: string | null;
}

// Payload and result are the last columns: SQLite then never reads their overflow pages for summary queries.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  task            TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  error           TEXT,
  error_code      TEXT,
  retry_of        TEXT,
  idempotency_key TEXT UNIQUE,
  request_id      TEXT    NOT NULL,
  fingerprint     TEXT    NOT NULL,
  labels          TEXT,
  payload         TEXT    NOT NULL,
  result          TEXT,
  node            TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_seq ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;
`;

const SUMMARY_COLUMNS =
  'seq, id, task, status, created_at, started_at, finished_at, error, error_code, retry_of, idempotency_key, request_id, labels, node';

export interface ListQuery {
  status?: JobStatus;
  /** Keyset: only jobs created before this sequence (exclusive). */
  beforeSeq?: number;
  limit: number;
}

export interface Completion {
  status: Exclude<JobStatus, 'pending' | 'running'>;
  finishedAt: number;
  result?: JsonObject | null;
  error?: string | null;
  errorCode?: string | null;
}

export type CreateOutcome = { created: true; job: JobRecord } | { created: false; job: JobRecord };

const TERMINAL_SQL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ');

export class JobRepository {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<JobRepository['prepare']>;
  private readonly completeStatements = new Map<number, Database.Statement>();

  constructor(private readonly dbPath: string) {
    fs.mkdirSync(path.dirname(dbPath), { recursive: true });
    this.db = new Database(dbPath);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // Databases created before the labels or node columns: added at the end (their summaries then read past the payload).
    const columns = this.db.prepare<[], { name: string }>(`PRAGMA table_info(jobs)`).all();
    if (!columns.some((c) => c.name === 'labels')) this.db.exec(`ALTER TABLE jobs ADD COLUMN labels TEXT`);
    if (!columns.some((c) => c.name === 'node')) this.db.exec('ALTER TABLE jobs ADD COLUMN node TEXT');
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      insert: db.prepare(
        `INSERT INTO jobs (id, task, status, created_at, retry_of, idempotency_key, request_id, fingerprint, labels, payload)
         VALUES (@id, @task, 'pending', @createdAt, @retryOf, @idempotencyKey, @requestId, @fingerprint, @labels, @payload)`,
      ),
      byId: db.prepare<[string], FullJobRow>(`SELECT * FROM jobs WHERE id = ?`),
      summaryById: db.prepare<[string], JobRow>(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id = ?`),
      byKey: db.prepare<[string], FullJobRow>(`SELECT * FROM jobs WHERE idempotency_key = ?`),
      start: db.prepare(`UPDATE jobs SET status = 'running', started_at = ?, node = ? WHERE id = ? AND status = 'pending'`),
      pendingIds: db.prepare<[], { id: string }>(`SELECT id FROM jobs WHERE status = 'pending' ORDER BY seq ASC`),
      deleteExpired: db.prepare(`DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ?`),
      count: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM jobs`),
      evictOldestFinished: db.prepare(
        `DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE status IN (${TERMINAL_SQL}) ORDER BY seq ASC LIMIT ?)`,
      ),
      countsByStatus: db.prepare<[], { status: JobStatus; n: number }>(
        `SELECT status, COUNT(*) AS n FROM jobs GROUP BY status`,
      ),
      keyCount: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE idempotency_key IS NOT NULL`),
      interrupt: db.prepare(
        `UPDATE jobs SET status = 'failed', finished_at = ?, error = ?, error_code = ? WHERE status = 'running'`,
      ),
    };
  }

  /**
   * Inserts a job, or returns the job already holding its idempotency key. One transaction: with the UNIQUE index
   * this stays correct even if several processes shared the database file.
   */
  createOrFind(job: NewJob): CreateOutcome {
    try {
      return this.createOrFindTx(job);
    } catch (error) {
      // SQLITE_FULL: the disk holding the database is full → 507 naming its directory; the transaction rolled back.
      rethrowIfStorageFull(error, path.dirname(this.dbPath), Buffer.byteLength(JSON.stringify(job.payload)));
    }
  }

  private createOrFindTx(job: NewJob): CreateOutcome {
    return this.db.transaction((): CreateOutcome => {
      if (job.idempotencyKey !== null) {
        const existing = this.statements.byKey.get(job.idempotencyKey);
        if (existing) return { created: false, job: toRecord(existing) };
      }
      this.statements.insert.run({ ...job, labels: JSON.stringify(jobLabelsOf(job.payload)), payload: JSON.stringify(job.payload) });
      const row = this.statements.byId.get(job.id);
      if (!row) throw new Error(`job ${job.id} vanished after insert`);
      return { created: true, job: toRecord(row) };
    }).immediate();
  }

  find(id: string): JobRecord | null {
    const row = this.statements.byId.get(id);
    return row ? toRecord(row) : null;
  }

  findSummary(id: string): JobSummary | null {
    const row = this.statements.summaryById.get(id);
    return row ? toSummary(row) : null;
  }

  /** Newest first (by creation sequence), `limit` rows. */
  list(query: ListQuery): JobSummary[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(query.beforeSeq);
    }
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY seq DESC LIMIT ?`;
    params.push(query.limit);
    return this.db.prepare<Array<string | number>, JobRow>(sql).all(...params).map(toSummary);
  }

  /** pending → running. False when the job is gone or no longer pending (canceled, evicted). */
  markRunning(id: string, startedAt: number, node: string | null = null): boolean {
    return this.statements.start.run(startedAt, node, id).changes === 1;
  }

  /** Moves a job to a terminal status only if it is currently in one of `from`. */
  complete(id: string, from: readonly JobStatus[], completion: Completion): boolean {
    const info = this.completeStatement(from.length).run(
        completion.status,
        completion.finishedAt,
        completion.result ? JSON.stringify(completion.result) : null,
        completion.error ?? null,
        completion.errorCode ?? null,
        id,
        ...from,
      );
    return info.changes === 1;
  }

  private completeStatement(sourceCount: number): Database.Statement {
    let statement = this.completeStatements.get(sourceCount);
    if (!statement) {
      const placeholders = Array.from({ length: sourceCount }, () => '?').join(', ');
      statement = this.db.prepare(
        `UPDATE jobs SET status = ?, finished_at = ?, result = ?, error = ?, error_code = ?
         WHERE id = ? AND status IN (${placeholders})`,
      );
      this.completeStatements.set(sourceCount, statement);
    }
    return statement;
  }

  /** Jobs a previous process left running can never finish: they fail with the given code. */
  failRunning(finishedAt: number, error: string, errorCode: string): number {
    return this.statements.interrupt.run(finishedAt, error, errorCode).changes;
  }

  pendingIds(): string[] {
    return this.statements.pendingIds.all().map((row) => row.id);
  }

  /** Deletes finished jobs whose finish time is at or before `cutoff` (epoch ms). */
  deleteFinishedBefore(cutoff: number): number {
    return this.statements.deleteExpired.run(cutoff).changes;
  }

  /** Deletes the oldest finished jobs until at most `maxItems` remain (or no finished job is left). */
  evictOverflow(maxItems: number): number {
    const excess = this.statements.count.get()!.n - maxItems;
    return excess > 0 ? this.statements.evictOldestFinished.run(excess).changes : 0;
  }

  countsByStatus(): Partial<Record<JobStatus, number>> {
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const row of this.statements.countsByStatus.all()) counts[row.status] = row.n;
    return counts;
  }

  idempotencyKeyCount(): number {
    return this.statements.keyCount.get()!.n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toSummary(row: JobRow): JobSummary {
  return {
    seq: row.seq,
    id: row.id,
    task: row.task,
    status: row.status,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    errorCode: row.error_code,
    retryOf: row.retry_of,
    idempotencyKey: row.idempotency_key,
    requestId: row.request_id,
    node: row.node,
    labels: row.labels ? (JSON.parse(row.labels) as JobLabels) : {},
  };
}

function toRecord(row: FullJobRow): JobRecord {
  return {
    ...toSummary(row),
    fingerprint: row.fingerprint,
    payload: JSON.parse(row.payload) as JsonObject,
    result: row.result === null ? null : (JSON.parse(row.result) as JsonObject),
  };
}
