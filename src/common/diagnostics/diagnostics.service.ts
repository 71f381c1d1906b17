import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../logging/root-logger';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { currentRequestContext } from '../request-context/request-context';

export const DIAGNOSTICS_FILE = 'backend_diagnostics.jsonl';

/**
 * The original backend's diagnostics stream: one JSON object per line in backend_diagnostics.jsonl
 * ({ts, event, pid, thread, request_id, ...fields}). Disabled with a logged reason when the directory is not
 * writable; never fails a request.
 */
@Injectable()
export class DiagnosticsService implements OnModuleDestroy {
  /** Appending descriptor; null when disabled. */
  private fd: number | null = null;
  /** Lines of this event-loop turn: written together (one write per turn, not one per event). */
  private pending: string[] = [];
  private flushScheduled = false;
  readonly file: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.file = path.join(config.storage.diagnosticsDir, DIAGNOSTICS_FILE);
    try {
      fs.mkdirSync(config.storage.diagnosticsDir, { recursive: true });
      fs.accessSync(config.storage.diagnosticsDir, fs.constants.W_OK);
      this.fd = fs.openSync(this.file, 'a');
    } catch (error) {
      this.logger.warn({ err: error, dir: config.storage.diagnosticsDir }, 'diagnostics directory not writable; disabled');
    }
  }

  event(event: string, fields: Record<string, unknown> = {}): void {
    if (this.fd === null) return;
    const requestId = currentRequestContext()?.requestId;
    const record: Record<string, unknown> = { ts: Date.now() / 1000, event, pid: process.pid, thread: threadId };
    if (requestId !== undefined && !('request_id' in fields)) record.request_id = requestId;
    this.pending.push(`${JSON.stringify({ ...record, ...fields })}\n`);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Writes the turn's lines as one chunk, synchronously: an append of a few KB to a local file is one short
   * syscall, while the asynchronous stream cost a thread-pool hop, a wake-up and a callback per turn (measured under
   * 8-client /infer load: the main thread's top entry, issue 15), like pino's default synchronous destination.
   */
  private flush(): void {
    this.flushScheduled = false;
    const lines = this.pending;
    this.pending = [];
    if (this.fd === null || lines.length === 0) return;
    try {
      const bytes = Buffer.from(lines.length === 1 ? lines[0] : lines.join(''), 'utf8');
      for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(this.fd, bytes, offset);
    } catch (error) {
      this.logger.warn({ err: error, file: this.file }, 'diagnostics disabled after a write error');
      this.close();
    }
  }

  private close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) fs.closeSync(fd);
  }

  async onModuleDestroy(): Promise<void> {
    this.flush();
    this.close();
  }
}
