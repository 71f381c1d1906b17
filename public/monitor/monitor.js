// Jobs monitor: wires the page to the job API. Ids, texts and timeouts follow the original AI-MVP monitor
// (reference §2), in English, with its bugs fixed: pagination history includes page 1, the error body is read once,
// list requests never overlap, ids are URL-encoded, and retry is server-side.
import {
  API_KEY_STORAGE_KEY,
  BackendError,
  URL_STORAGE_KEY,
  createBackendClient,
  defaultBackendUrl,
  readStored,
  resolveBackendUrl,
  stripTrailingSlash,
  writeStored,
} from './backend-client.js';
import { TERMINAL_STATUSES, displayJson, jobSummary } from './format.js';
import { markActive, renderJobs } from './jobs-list.js';
import { clearResult, renderResult, resultKind, resultSummary } from './result-view.js';
import { createSnapshotStore } from './snapshots.js';

const PAGE_SIZE = 8;
const POLL_INTERVAL_MS = 5000;
const LIST_TIMEOUT_MS = 6000;
const ACTION_TIMEOUT_MS = 6000;
const CREATE_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 4000;
const WATCH_DEADLINE_MS = 60_000;

const $ = (id) => document.getElementById(id);
const ui = {
  url: $('ai-backend-url'),
  apiKey: $('ai-backend-api-key'),
  check: $('ai-backend-check'),
  backendStatus: $('ai-backend-status'),
  jobStatus: $('ai-backend-job-status'),
  filter: $('ai-backend-jobs-filter'),
  refresh: $('ai-backend-jobs-refresh'),
  pause: $('ai-backend-jobs-pause'),
  live: $('ai-backend-jobs-live'),
  list: $('ai-backend-jobs-list'),
  pagination: $('ai-backend-jobs-pagination'),
  updated: $('ai-backend-jobs-updated'),
  warning: $('ai-backend-jobs-warning'),
  detail: $('ai-backend-jobs-detail'),
  detailFields: $('ai-backend-jobs-detail-fields'),
  detailRawBox: $('ai-backend-jobs-detail-raw-box'),
  detailRaw: $('ai-backend-jobs-detail-raw'),
  prev: $('ai-backend-jobs-prev'),
  next: $('ai-backend-jobs-next'),
  form: $('job-form'),
  formTask: $('job-task'),
  formImage: $('job-image'),
  formMinScore: $('job-min-score'),
  formDetectParams: $('job-detect-params'),
  formInferParams: $('job-infer-params'),
  formShape: $('job-shape'),
  formIncludeHeatmap: $('job-include-heatmap'),
  formHeatmapScale: $('job-heatmap-scale'),
  formKey: $('job-idempotency-key'),
  formSubmit: $('job-submit'),
  formStatus: $('job-form-status'),
};
const resultUi = {
  summary: $('ai-backend-result-summary'),
  decision: $('ai-backend-result-decision'),
  canvasBox: $('ai-backend-result-canvas-box'),
  canvas: $('ai-backend-result-canvas'),
  imageNote: $('ai-backend-result-image-note'),
  list: $('ai-backend-result-list'),
  raw: $('ai-backend-result-raw'),
  rawBox: $('ai-backend-result-raw-box'),
  toggles: $('ai-backend-result-toggles'),
  overlayToggle: $('ai-backend-result-show-overlay'),
  legend: $('ai-backend-result-legend'),
  legendBar: $('ai-backend-result-legend-bar'),
  legendMark: $('ai-backend-result-legend-mark'),
  legendMin: $('ai-backend-result-legend-min'),
  legendMax: $('ai-backend-result-legend-max'),
  legendText: $('ai-backend-result-legend-text'),
  redraw: null,
};

const client = createBackendClient({
  getBaseUrl: () => resolveBackendUrl(ui.url.value),
  getApiKey: () => ui.apiKey.value.trim(),
});
const snapshots = createSnapshotStore();

const state = {
  /** What the polls fetch: the filter and the cursor of every page from page 1 to the current one. */
  view: { filter: 'all', cursors: [null] },
  /** What is on screen (the pagination line describes it). */
  shown: { filter: 'all', cursors: [null], nextCursor: null, items: [] },
  listRequest: null, // { seq, controller } of the one list request in flight
  listSeq: 0,
  listFailing: false,
  paused: false,
  activeJobId: null,
  /** The record the details panel shows (null when it shows none), refreshed from every list page that has it. */
  details: null,
  healthCheck: null, // the /health request in flight
  resultCache: new Map(),
  watchToken: 0,
};

const enc = encodeURIComponent;

// Each write bumps a version, so a background job watcher can tell whether the line is still the one it wrote.
const lines = { status: 0 };

function setJobStatus(text) {
  ui.jobStatus.textContent = text;
  return ++lines.status;
}

function setDetailLine(text) {
  ui.detail.textContent = `Job details: ${text}`;
}

function setWarning(text) {
  // Unchanged text is not rewritten: the line is aria-live and every poll would announce it again.
  if (ui.warning.textContent !== `Warning: ${text}`) ui.warning.textContent = `Warning: ${text}`;
  ui.warning.classList.toggle('is-ok', text === 'none');
}

// ---------------------------------------------------------------- list, pagination, polling

function listPath(filter, cursor) {
  const params = new URLSearchParams();
  if (filter && filter !== 'all') params.set('status', filter);
  params.set('limit', String(PAGE_SIZE));
  if (cursor) params.set('cursor', cursor);
  return `/jobs?${params.toString()}`;
}

/**
 * Loads one page. `mode`: 'poll' skips while a request is in flight; anything else is the user's (or an action's)
 * request and supersedes the one in flight, which is aborted, so there is never more than one.
 * `target` is the view to load; it becomes the polled view only when it loads ('next'/'prev'), or at once
 * (filter and URL changes, so the polls retry it).
 */
async function loadList(mode = 'refresh', target = state.view) {
  if (state.listRequest) {
    if (mode === 'poll') return;
    state.listRequest.controller.abort();
  }
  const seq = ++state.listSeq;
  const controller = new AbortController();
  state.listRequest = { seq, controller };
  ui.list.setAttribute('aria-busy', 'true');
  const cursor = target.cursors[target.cursors.length - 1];
  try {
    const payload = await client.request('GET', listPath(target.filter, cursor), {
      prefix: 'Backend jobs list',
      timeoutMs: LIST_TIMEOUT_MS,
      timeoutMessage: 'Timed out fetching backend jobs list',
      signal: controller.signal,
    });
    if (seq !== state.listSeq) return;
    state.view = target;
    showPage(target, payload);
  } catch (error) {
    if (seq !== state.listSeq || (error instanceof BackendError && error.kind === 'aborted')) return;
    showListFailure(mode, error instanceof Error ? error.message : String(error));
    // Unreachable (not an HTTP error answer): the header must not keep saying "online".
    if (error instanceof BackendError && (error.kind === 'network' || error.kind === 'timeout')) setBackendOffline(error.message);
  } finally {
    if (state.listRequest?.seq === seq) {
      state.listRequest = null;
      ui.list.removeAttribute('aria-busy');
    }
  }
}

/** The details panel shows the same state as the job's row: a newer row replaces the record's fields. */
function syncDetails(items) {
  const shown = state.details;
  if (!shown || shown.jobId !== state.activeJobId) return;
  const row = items.find((job) => job?.jobId === shown.jobId);
  if (!row || !recordIsNewer(row, shown)) return;
  const merged = { ...shown, ...row };
  if (JSON.stringify(merged) === JSON.stringify(shown)) return;
  state.details = merged;
  setDetailLine(jobSummary(merged));
  renderRecordFields(merged);
}

function setBackendOffline(reason) {
  ui.backendStatus.textContent = `Backend: offline | ${reason}`;
  ui.backendStatus.dataset.state = 'offline';
}

function showPage(target, payload) {
  const items = Array.isArray(payload?.items) ? payload.items : [];
  const nextCursor =
    typeof payload?.nextCursor === 'string' && payload.nextCursor !== ''
      ? payload.nextCursor
      : typeof payload?.nextCursor === 'number'
        ? String(payload.nextCursor)
        : null;
  state.shown = { filter: target.filter, cursors: target.cursors, nextCursor, items };
  renderJobs(ui.list, items, { activeJobId: state.activeJobId });
  syncDetails(items);
  // The list answered: the backend is up, whatever the last health check said.
  if (ui.backendStatus.dataset.state !== 'online') checkBackend();
  renderPagination();
  ui.updated.textContent = `Last update: ${new Date().toLocaleTimeString()}`;
  setWarning('none');
  if (state.listFailing) {
    state.listFailing = false;
    if (ui.jobStatus.textContent.startsWith('Backend jobs:')) setJobStatus('Backend jobs: list refreshed');
  }
}

function renderPagination() {
  const { filter, cursors, nextCursor, items } = state.shown;
  ui.pagination.textContent = `Jobs page: ${cursors.length} | filter: ${filter} | items: ${items.length}`;
  ui.prev.disabled = cursors.length <= 1;
  ui.next.disabled = !nextCursor;
}

/** Rows, pagination and "Last update" stay as they were: the page keeps showing the last good data. */
function showListFailure(mode, message) {
  state.listFailing = true;
  const what = mode === 'next' || mode === 'prev' ? `${mode} page failed` : 'list refresh failed';
  setWarning(`${what} | ${message}`);
  setJobStatus(`Backend jobs: ${mode === 'next' || mode === 'prev' ? mode : 'list'} error (${message})`);
}

function goNext() {
  const { nextCursor, filter, cursors } = state.shown;
  if (!nextCursor) return;
  loadList('next', { filter, cursors: [...cursors, nextCursor] });
}

function goPrev() {
  const { filter, cursors } = state.shown;
  if (cursors.length <= 1) return;
  loadList('prev', { filter, cursors: cursors.slice(0, -1) });
}

function resetView(filter = ui.filter.value) {
  state.view = { filter, cursors: [null] };
  state.activeJobId = null;
  markActive(ui.list, null);
  clearDetails();
}

function setPaused(paused) {
  state.paused = paused;
  ui.pause.setAttribute('aria-pressed', String(paused));
  ui.pause.textContent = paused ? 'Resume live refresh' : 'Pause live refresh';
  ui.live.textContent = paused ? 'Live refresh: paused' : `Live refresh: every ${POLL_INTERVAL_MS / 1000} s`;
  ui.live.classList.toggle('is-paused', paused);
  if (!paused) loadList('refresh');
}

// ---------------------------------------------------------------- details

/**
 * A record fetched for one job (details, cancel) also updates its row, so the two never read differently while
 * the next list page is on its way. A record that would move a finished job back (an answer older than the row)
 * is not taken.
 */
function recordIsNewer(record, shown) {
  return !(TERMINAL_STATUSES.has(shown?.status) && !TERMINAL_STATUSES.has(record?.status));
}

function syncRow(record) {
  const items = state.shown.items;
  const at = items.findIndex((item) => item?.jobId === record?.jobId);
  if (at < 0 || !recordIsNewer(record, items[at])) return;
  const merged = { ...items[at], ...record };
  if (JSON.stringify(merged) === JSON.stringify(items[at])) return;
  state.shown = { ...state.shown, items: items.map((item, i) => (i === at ? merged : item)) };
  renderJobs(ui.list, state.shown.items, { activeJobId: state.activeJobId });
}

function findShownJob(jobId) {
  return state.shown.items.find((item) => item?.jobId === jobId) ?? null;
}

function setActive(jobId) {
  state.activeJobId = jobId;
  markActive(ui.list, jobId);
}

function clearDetails() {
  ui.detail.textContent = 'Job details: —';
  ui.detailFields.replaceChildren();
  ui.detailFields.hidden = true;
  ui.detailRawBox.hidden = true;
  ui.detailRaw.textContent = '';
}

/**
 * The stored request of a job: from GET /jobs/{id}/request, else this page's snapshot; without either, why not
 * (`stored` is the route's answer, or `{ error }` when it failed).
 */
function requestOf(jobId, stored) {
  const candidate = stored?.request;
  if (candidate && typeof candidate === 'object' && !Array.isArray(candidate)) {
    return { request: candidate, source: 'stored job request (from the job API)' };
  }
  const snapshot = snapshots.get(jobId);
  if (snapshot) return { request: snapshot.request, source: 'snapshot kept by this page when the job was submitted' };
  const why = stored?.error
    ? `GET /jobs/${jobId}/request: ${stored.error.message}`
    : `GET /jobs/${jobId}/request answered without a request`;
  return { request: null, source: '', missing: why };
}

function renderRecordFields(record) {
  const rows = document.createDocumentFragment();
  for (const [key, value] of Object.entries(record ?? {})) {
    const term = document.createElement('dt');
    term.textContent = key;
    const description = document.createElement('dd');
    description.textContent =
      value === null || value === undefined ? '—' : typeof value === 'object' ? displayJson(value) : String(value);
    rows.append(term, description);
  }
  ui.detailFields.replaceChildren(rows);
  ui.detailFields.hidden = false;
  ui.detailRaw.textContent = displayJson(record);
  ui.detailRawBox.hidden = false;
}

async function fetchJob(jobId) {
  return client.request('GET', `/jobs/${enc(jobId)}`, {
    prefix: 'Backend job status',
    timeoutMs: ACTION_TIMEOUT_MS,
    timeoutMessage: 'Timed out fetching backend job status',
  });
}

async function fetchStoredRequest(jobId) {
  return client.request('GET', `/jobs/${enc(jobId)}/request`, {
    prefix: 'Backend job request',
    timeoutMs: ACTION_TIMEOUT_MS,
    timeoutMessage: 'Timed out fetching backend job request',
  });
}

async function showDetails(jobId) {
  setActive(jobId);
  const row = findShownJob(jobId);
  setDetailLine(row ? jobSummary(row) : jobId);
  if (row) renderRecordFields(row);
  state.details = row ?? { jobId };
  try {
    const record = await fetchJob(jobId);
    if (state.activeJobId === jobId && recordIsNewer(record, state.details)) {
      state.details = record;
      setDetailLine(jobSummary(record));
      renderRecordFields(record);
      syncRow(record);
    }
    setJobStatus(`Backend job ${jobId}: details loaded`);
  } catch (error) {
    setJobStatus(`Backend job ${jobId}: details error (${error.message})`);
  }
  loadList('action');
}

// ---------------------------------------------------------------- result, copy, cancel, retry

async function fetchResult(jobId) {
  const result = await client.request('GET', `/jobs/${enc(jobId)}/result`, {
    prefix: 'Backend job result',
    timeoutMs: ACTION_TIMEOUT_MS,
    timeoutMessage: 'Timed out fetching backend job result',
  });
  state.resultCache.set(jobId, result);
  return result;
}

async function openResult(jobId) {
  setActive(jobId);
  setJobStatus(`Backend job ${jobId}: loading result…`);
  try {
    const [result, record, stored] = await Promise.all([
      fetchResult(jobId),
      fetchJob(jobId).catch(() => null),
      fetchStoredRequest(jobId).catch((error) => ({ error })),
    ]);
    const job = record ?? findShownJob(jobId) ?? { jobId };
    const kind = resultKind(job.task, result);
    const { request, source, missing } = requestOf(jobId, stored);
    setDetailLine(`${jobSummary(job)} | ${resultSummary(kind, result)}`);
    renderRecordFields(job);
    await renderResult(resultUi, { kind, result, request, imageSource: source, requestMissing: missing });
    resultUi.summary.textContent = `Job ${jobId} | task: ${typeof job.task === 'string' ? job.task : '—'}`;
    setJobStatus(`Backend job ${jobId}: result loaded`);
  } catch (error) {
    setJobStatus(`Backend job ${jobId}: result error (${error.message})`);
  }
}

async function writeClipboard(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Not a secure context (plain http on a LAN address): the legacy copy command still works on a user click.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('clipboard unavailable');
}

async function copyResultJson(jobId) {
  try {
    const result = state.resultCache.get(jobId) ?? (await fetchResult(jobId));
    await writeClipboard(JSON.stringify(result, null, 2));
    setJobStatus(`Backend job ${jobId}: result JSON copied`);
  } catch (error) {
    setJobStatus(`Backend job ${jobId}: copy JSON error (${error.message})`);
  }
}

async function cancelJob(jobId) {
  try {
    const record = await client.request('POST', `/jobs/${enc(jobId)}/cancel`, {
      prefix: 'Backend job cancel',
      timeoutMs: ACTION_TIMEOUT_MS,
      timeoutMessage: 'Timed out canceling backend job',
    });
    setActive(jobId);
    setJobStatus(`Backend job ${jobId}: ${record?.status ?? 'canceled'}`);
    setDetailLine(`${jobSummary({ jobId, ...record })} | updated=cancel`);
    renderRecordFields(record);
    syncRow({ jobId, ...record });
  } catch (error) {
    setJobStatus(`Backend job ${jobId}: cancel error (${error.message})`);
  }
  loadList('action');
}

/** POST /jobs with a snapshot's body and a fresh key: retry against a backend without the retry route. */
async function replaySnapshot(jobId, snapshot) {
  const key = snapshot.request.idempotencyKey || jobId;
  const body = { ...snapshot.request, idempotencyKey: `${key}|retry|${Date.now()}` };
  const created = await client.request('POST', '/jobs', {
    body,
    prefix: 'Backend job create',
    timeoutMs: CREATE_TIMEOUT_MS,
    timeoutMessage: 'Timed out creating backend job',
  });
  snapshots.set(created.jobId, { request: body });
  return created;
}

async function retryJob(jobId) {
  setJobStatus(`Backend job ${jobId}: retry requested…`);
  try {
    let created;
    let source = 'server-stored-request';
    try {
      created = await client.request('POST', `/jobs/${enc(jobId)}/retry`, {
        prefix: 'Backend job retry',
        timeoutMs: CREATE_TIMEOUT_MS,
        timeoutMessage: 'Timed out retrying backend job',
      });
    } catch (error) {
      // A 404 that is not job_not_found means the route itself is missing (e.g. the original Python backend).
      const snapshot = snapshots.get(jobId);
      const routeMissing = error instanceof BackendError && error.status === 404 && error.code !== 'job_not_found';
      if (!routeMissing) throw error;
      if (!snapshot) throw new Error('retry unavailable (no retry route and no snapshot of this job)');
      created = await replaySnapshot(jobId, snapshot);
      source = 'original-snapshot';
    }
    const newId = String(created.jobId);
    const snapshot = snapshots.get(jobId);
    if (snapshot && !snapshots.get(newId)) snapshots.set(newId, snapshot);
    setActive(newId);
    setJobStatus(`Backend job ${jobId}: retried as ${newId} (${created.status})`);
    setDetailLine(`${newId} | retry of ${jobId} | status=${created.status} | retry=scheduled | source=${source}`);
    renderRecordFields(created);
    watchJob(newId, ` | retry of ${jobId}`);
  } catch (error) {
    setJobStatus(`Backend job ${jobId}: retry error (${error.message})`);
  }
  loadList('action');
}

/** Follows one job after submit/retry so its status line moves without waiting for the 5 s poll. */
async function watchJob(jobId, note = '') {
  const token = ++state.watchToken;
  // The status line as the caller just wrote it; any later write (another action) means hands off.
  let statusVersion = lines.status;
  const deadline = Date.now() + WATCH_DEADLINE_MS;
  let waitMs = 250;
  let lastStatus = null;
  while (token === state.watchToken && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    waitMs = Math.min(waitMs + 150, 1200);
    if (token !== state.watchToken) return;
    let record;
    try {
      record = await fetchJob(jobId);
    } catch {
      continue; // the list warning reports a backend outage; keep following
    }
    if (record.status !== lastStatus) {
      lastStatus = record.status;
      // Never overwrite what another action wrote since.
      if (lines.status === statusVersion) statusVersion = setJobStatus(`Backend job ${jobId}: ${record.status}${note}`);
    }
    if (TERMINAL_STATUSES.has(record.status)) {
      loadList('action');
      return;
    }
  }
}

// ---------------------------------------------------------------- submit form

function readFileAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** Inspection tasks that work on the stored dataset: no image, mm_per_px is the samples' default. */
const DATASET_TASKS = new Set(['fit-ok', 'calibrate-dataset', 'infer-dataset']);

function syncTaskFields() {
  const task = ui.formTask.value;
  const inspection = task !== 'detect-objects';
  const dataset = DATASET_TASKS.has(task);
  ui.formInferParams.hidden = !inspection;
  ui.formInferParams.disabled = !inspection;
  ui.formDetectParams.hidden = inspection;
  ui.formDetectParams.disabled = inspection;
  document.getElementById('job-infer-legend').textContent = `${task} parameters`;
  document.getElementById('job-image-note').hidden = !dataset;
  ui.formImage.disabled = dataset;
  ui.formImage.required = !dataset;
  document.getElementById('job-shape').closest('.field').hidden = task !== 'infer';
  document.getElementById('job-include-heatmap').closest('.check').hidden = task !== 'infer' && task !== 'infer-dataset';
  ui.formHeatmapScale.closest('.field').hidden = task !== 'infer' && task !== 'infer-dataset';
  document.getElementById('job-require-ng').closest('.check').hidden = task !== 'calibrate-dataset';
}

function optionalText(name) {
  const value = ui.form.elements.namedItem(name)?.value.trim() ?? '';
  return value === '' ? undefined : value;
}

async function buildJobBody() {
  const task = ui.formTask.value;
  if (DATASET_TASKS.has(task)) return withIdempotencyKey(datasetJobBody(task));
  const file = ui.formImage.files?.[0];
  if (!file) throw new Error('choose an image file');
  const imageBase64 = await readFileAsDataUrl(file);
  const body = { task, imageBase64 };
  if (task === 'detect-objects') {
    const minScore = ui.formMinScore.valueAsNumber;
    if (Number.isFinite(minScore)) body.minScore = minScore;
  } else {
    const roleId = optionalText('role_id');
    const roiId = optionalText('roi_id');
    const mmPerPx = Number(optionalText('mm_per_px'));
    if (!roleId || !roiId) throw new Error('role_id and roi_id are required');
    if (!Number.isFinite(mmPerPx) || mmPerPx <= 0) throw new Error('mm_per_px must be a number > 0');
    Object.assign(body, { role_id: roleId, roi_id: roiId, mm_per_px: mmPerPx });
    const modelKey = optionalText('model_key');
    const recipeId = optionalText('recipe_id');
    if (modelKey) body.model_key = modelKey;
    if (recipeId) body.recipe_id = recipeId;
    const shapeText = optionalText('shape');
    if (shapeText) {
      let shape;
      try {
        shape = JSON.parse(shapeText);
      } catch {
        throw new Error('shape is not valid JSON');
      }
      if (!shape || typeof shape !== 'object' || Array.isArray(shape)) throw new Error('shape must be a JSON object');
      body.shape = shape;
    }
    body.include_heatmap = ui.formIncludeHeatmap.checked;
    body.heatmap_scale = ui.formHeatmapScale.value;
  }
  return withIdempotencyKey(body);
}

function withIdempotencyKey(body) {
  const key = optionalText('idempotencyKey');
  if (key) body.idempotencyKey = key;
  return body;
}

/** fit-ok (use_dataset), calibrate-dataset and infer-dataset: the model's ids and the samples' default mm_per_px. */
function datasetJobBody(task) {
  const roleId = optionalText('role_id');
  const roiId = optionalText('roi_id');
  const mmPerPx = Number(optionalText('mm_per_px'));
  if (!roleId || !roiId) throw new Error('role_id and roi_id are required');
  if (!Number.isFinite(mmPerPx) || mmPerPx <= 0) throw new Error('mm_per_px must be a number > 0');
  const body = { task, role_id: roleId, roi_id: roiId };
  if (task === 'fit-ok') Object.assign(body, { mm_per_px: mmPerPx, use_dataset: true });
  else body.default_mm_per_px = mmPerPx;
  if (task === 'infer-dataset') Object.assign(body, { include_heatmap: ui.formIncludeHeatmap.checked, heatmap_scale: ui.formHeatmapScale.value });
  if (task === 'calibrate-dataset') body.require_ng = document.getElementById('job-require-ng').checked;
  const modelKey = optionalText('model_key');
  const recipeId = optionalText('recipe_id');
  if (modelKey) body.model_key = modelKey;
  if (recipeId) body.recipe_id = recipeId;
  return body;
}

async function submitJob(event) {
  event.preventDefault();
  ui.formSubmit.disabled = true;
  ui.formStatus.textContent = 'Submitting…';
  try {
    const body = await buildJobBody();
    const created = await client.request('POST', '/jobs', {
      body,
      prefix: 'Backend job create',
      timeoutMs: CREATE_TIMEOUT_MS,
      timeoutMessage: 'Timed out creating backend job',
    });
    const jobId = String(created.jobId);
    snapshots.set(jobId, { request: body });
    setActive(jobId);
    if (created.status === 'pending') {
      setJobStatus(`Backend job ${jobId}: pending`);
      setDetailLine(`${jobId} | created${body.idempotencyKey ? ` | idempotency=${body.idempotencyKey}` : ''}`);
    } else {
      setJobStatus(`Backend job ${jobId}: reused (${created.status})`);
      setDetailLine(`${jobId} | reused by idempotencyKey | status=${created.status}`);
    }
    ui.formStatus.textContent = `Submitted: job ${jobId}`;
    watchJob(jobId);
    // A new job is newest: show it on page 1 of the current filter.
    state.view = { filter: state.view.filter, cursors: [null] };
    loadList('action');
  } catch (error) {
    ui.formStatus.textContent = `Not submitted: ${error.message}`;
    setJobStatus(`Backend job: create error (${error.message})`);
  } finally {
    ui.formSubmit.disabled = false;
  }
}

// ---------------------------------------------------------------- backend settings and health

/** One /health check at a time: a check asked for while one runs shares its answer. */
function checkBackend() {
  state.healthCheck ??= probeBackend().finally(() => {
    state.healthCheck = null;
  });
  return state.healthCheck;
}

async function probeBackend() {
  ui.backendStatus.textContent = 'Backend: checking…';
  try {
    const health = await client.request('GET', '/health', {
      prefix: 'Backend health',
      timeoutMs: HEALTH_TIMEOUT_MS,
      timeoutMessage: 'Timed out checking backend /health',
    });
    ui.backendStatus.textContent = `Backend: online | ${typeof health?.service === 'string' ? health.service : 'unknown service'}`;
    ui.backendStatus.dataset.state = 'online';
  } catch (error) {
    let reason = error instanceof BackendError && error.kind === 'http' ? `HTTP ${error.status}` : error.message;
    if (error instanceof BackendError && error.status === 401) reason += ' (API key missing or wrong)';
    setBackendOffline(reason);
  }
}

function persistUrl() {
  const value = stripTrailingSlash(ui.url.value.trim());
  ui.url.value = value;
  writeStored(URL_STORAGE_KEY, value);
}

function onUrlChange() {
  persistUrl();
  state.resultCache.clear();
  resetView();
  clearResult(resultUi);
  checkBackend();
  loadList('refresh');
}

function onApiKeyChange() {
  writeStored(API_KEY_STORAGE_KEY, ui.apiKey.value.trim());
  checkBackend();
  loadList('refresh');
}

// ---------------------------------------------------------------- start

function onListClick(event) {
  const button = event.target.closest('button.backend-job-action');
  if (!button || !ui.list.contains(button)) return;
  const { action, jobId } = button.dataset;
  if (!jobId) return;
  if (action === 'details') showDetails(jobId);
  else if (action === 'result') openResult(jobId);
  else if (action === 'copy') copyResultJson(jobId);
  else if (action === 'cancel') cancelJob(jobId);
  else if (action === 'retry') retryJob(jobId);
}

function start() {
  ui.url.placeholder = defaultBackendUrl();
  ui.url.value = resolveBackendUrl('');
  ui.apiKey.value = readStored(API_KEY_STORAGE_KEY);

  ui.url.addEventListener('change', onUrlChange);
  ui.apiKey.addEventListener('change', onApiKeyChange);
  ui.check.addEventListener('click', () => {
    persistUrl();
    checkBackend();
  });
  ui.filter.addEventListener('change', () => {
    resetView(ui.filter.value);
    loadList('filter');
  });
  ui.refresh.addEventListener('click', () => loadList('refresh'));
  ui.pause.addEventListener('click', () => setPaused(!state.paused));
  ui.prev.addEventListener('click', goPrev);
  ui.next.addEventListener('click', goNext);
  ui.list.addEventListener('click', onListClick);
  ui.formTask.addEventListener('change', syncTaskFields);
  ui.form.addEventListener('submit', submitJob);
  resultUi.overlayToggle.addEventListener('change', () => resultUi.redraw?.());
  syncTaskFields();

  checkBackend();
  loadList('refresh');
  setInterval(() => {
    if (!state.paused) loadList('poll');
  }, POLL_INTERVAL_MS);
}

start();
