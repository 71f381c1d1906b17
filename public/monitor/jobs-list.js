// Renders one page of jobs into the list. Everything from the server goes through textContent only.
import { formatClock, jobDuration } from './format.js';

export const EMPTY_LIST_TEXT = 'No backend jobs for the selected filter.';

const STATUS_CLASS = /^[a-z_-]+$/;

/** Row actions by status; Cancel is the only destructive one. */
export function actionsFor(status) {
  const actions = [{ action: 'details', label: 'Details' }];
  if (status === 'done') {
    actions.push({ action: 'result', label: 'Open result' }, { action: 'copy', label: 'Copy JSON' });
  } else if (status === 'pending' || status === 'running') {
    actions.push({ action: 'cancel', label: 'Cancel', danger: true });
  } else if (status === 'failed' || status === 'canceled' || status === 'timeout') {
    actions.push({ action: 'retry', label: 'Retry' });
  }
  return actions;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function asText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function timeCell(label, iso) {
  const cell = el('span', 'backend-job-time');
  cell.append(el('span', 'backend-job-time__label', `${label} `));
  const time = el('time', 'backend-job-time__value', formatClock(iso));
  if (typeof iso === 'string' && iso) {
    time.dateTime = iso;
    time.title = iso;
  }
  cell.append(time);
  return cell;
}

/** "recipe r · role A · roi B" for inspection jobs; empty for jobs without these fields. */
export function jobLabels(job) {
  const parts = [];
  for (const [key, label] of [['recipeId', 'recipe'], ['roleId', 'role'], ['roiId', 'roi']]) {
    const value = asText(job?.[key]);
    if (value) parts.push(`${label} ${value}`);
  }
  return parts.join(' · ');
}

/** "features 37/156" and the fraction done, or null when the job reports no progress. */
export function jobProgress(job) {
  const p = job?.progress;
  if (!p || typeof p !== 'object' || !Number.isFinite(p.done) || !Number.isFinite(p.total) || p.total <= 0) return null;
  const done = Math.max(0, Math.min(p.done, p.total));
  return { text: `${asText(p.phase)} ${done}/${p.total}`, fraction: done / p.total, done, total: p.total };
}

function renderItem(job, index, activeJobId, nowMs) {
  const jobId = asText(job.jobId);
  const status = asText(job.status);
  const error = asText(job.error);
  const task = asText(job.task);
  const item = el('li', 'backend-job-item');
  item.dataset.jobId = jobId;
  if (jobId && jobId === activeJobId) item.classList.add('is-active');

  const header = el('div', 'backend-job-item__header');
  const badge = el('span', 'backend-job-badge', status);
  if (STATUS_CLASS.test(status)) badge.classList.add(`status-${status}`);
  const idNode = el('span', 'backend-job-id', jobId);
  idNode.id = `backend-job-id-${index}`;
  idNode.title = jobId;
  header.append(badge, idNode);
  // The meta line shows the error instead of the task (as the original); keep the task visible beside the id.
  if (error && task) header.append(el('span', 'backend-job-task', task));
  item.append(header);

  const meta = el('div', 'backend-job-meta', error ? `error: ${error}` : `task: ${task}`);
  if (error) meta.classList.add('has-error');
  item.append(meta);
  const labels = jobLabels(job);
  if (labels) item.append(el('div', 'backend-job-labels', labels));
  const progress = status === 'running' ? jobProgress(job) : null;
  if (progress) item.append(progressBar(progress));

  const times = el('div', 'backend-job-times');
  const duration = jobDuration(job, nowMs);
  const durationCell = el('span', 'backend-job-time backend-job-duration');
  durationCell.append(
    el('span', 'backend-job-time__label', duration.ongoing ? 'running for ' : 'duration '),
    el('span', 'backend-job-time__value', duration.text),
  );
  times.append(
    timeCell('created', job.createdAt),
    timeCell('started', job.startedAt),
    timeCell('finished', job.finishedAt),
    durationCell,
  );
  item.append(times);

  const actions = el('div', 'backend-job-actions');
  for (const spec of actionsFor(status)) {
    const button = el('button', 'backend-job-action btn btn--small', spec.label);
    button.type = 'button';
    if (spec.danger) button.classList.add('danger');
    button.dataset.action = spec.action;
    button.dataset.jobId = jobId;
    button.setAttribute('aria-describedby', idNode.id);
    actions.append(button);
  }
  item.append(actions);
  return item;
}

export function progressBar(progress) {
  const wrap = el('div', 'backend-job-progress');
  const bar = el('progress', 'backend-job-progress__bar');
  bar.max = progress.total;
  bar.value = progress.done;
  bar.setAttribute('aria-label', `progress ${progress.text}`);
  wrap.append(bar, el('span', 'backend-job-progress__text', progress.text));
  return wrap;
}

/**
 * Replaces the list content. Keyboard focus on a row button survives the periodic re-render: the button with the
 * same job and action gets focus back.
 */
export function renderJobs(list, items, { activeJobId = null, nowMs = Date.now() } = {}) {
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused?.dataset?.action ? [focused.dataset.jobId, focused.dataset.action] : null;

  const fragment = document.createDocumentFragment();
  if (items.length === 0) {
    fragment.append(el('li', 'backend-job-empty', EMPTY_LIST_TEXT));
  } else {
    items.forEach((job, index) => fragment.append(renderItem(job ?? {}, index, activeJobId, nowMs)));
  }
  list.replaceChildren(fragment);

  if (focusKey) {
    const again = [...list.querySelectorAll('button.backend-job-action')].find(
      (button) => button.dataset.jobId === focusKey[0] && button.dataset.action === focusKey[1],
    );
    again?.focus();
  }
}

export function markActive(list, activeJobId) {
  for (const item of list.querySelectorAll('li.backend-job-item')) {
    item.classList.toggle('is-active', Boolean(activeJobId) && item.dataset.jobId === activeJobId);
  }
}
