// Text formatting shared by the list, the details panel and the result view. Pure functions.

export const TERMINAL_STATUSES = new Set(['done', 'failed', 'canceled', 'timeout']);

function parseTime(value) {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function pad(value, width = 2) {
  return String(value).padStart(width, '0');
}

/** Local wall-clock time, 24 h; the date is added when it is not today. */
export function formatClock(value, now = new Date()) {
  const ms = parseTime(value);
  if (ms === null) return '—';
  const date = new Date(ms);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const sameDay =
    date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

export function formatDurationMs(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours} h ${pad(minutes)} m` : `${minutes} m ${pad(seconds)} s`;
}

/** Run time of a job: finished − started, or the time so far while it runs (flagged as ongoing). */
export function jobDuration(job, nowMs = Date.now()) {
  const started = parseTime(job.startedAt);
  const finished = parseTime(job.finishedAt);
  if (started !== null && finished !== null) return { text: formatDurationMs(finished - started), ongoing: false };
  if (started !== null && !TERMINAL_STATUSES.has(job.status)) {
    return { text: formatDurationMs(nowMs - started), ongoing: true };
  }
  return { text: '—', ongoing: false };
}

function displayValue(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `<id> | status=… | created=… | started=… | finished=… | error=…`, each part only when present. */
export function jobSummary(job) {
  const parts = [displayValue(job.jobId)];
  for (const [label, key] of [
    ['status', 'status'],
    ['created', 'createdAt'],
    ['started', 'startedAt'],
    ['finished', 'finishedAt'],
    ['error', 'error'],
  ]) {
    const value = displayValue(job[key]);
    if (value) parts.push(`${label}=${value}`);
  }
  const p = job.progress;
  if (p && typeof p === 'object' && Number.isFinite(p.done) && Number.isFinite(p.total)) parts.push(`progress=${displayValue(p.phase)} ${p.done}/${p.total}`);
  return parts.join(' | ');
}

/** JSON for display: long data URLs and base64 blobs are shortened so a record stays readable. */
export function displayJson(value) {
  return JSON.stringify(
    value,
    (key, item) => {
      if (typeof item === 'string' && item.length > 200 && (/^data:/.test(item) || /base64/i.test(key))) {
        return `${item.slice(0, 48)}… (${item.length} chars)`;
      }
      return item;
    },
    2,
  );
}

export function formatNumber(value, digits = 4) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return displayValue(value) || '—';
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(digits)));
}
