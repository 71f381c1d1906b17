// Backend access for the monitor: where the backend is, the API key, and one fetch wrapper that applies a
// timeout and turns every failure into one readable message (the original's parseBackendError format).

export const URL_STORAGE_KEY = 'aiBackendUrl';
export const API_KEY_STORAGE_KEY = 'aiBackendApiKey';
const FALLBACK_URL = 'http://127.0.0.1:8000';
const BODY_SNIPPET_CHARS = 160;

export function stripTrailingSlash(value) {
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

/** The service serves this page at `<base>/monitor/`, so the API lives at `<base>` (same origin, proxy prefix kept). */
export function defaultBackendUrl(location = window.location) {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return FALLBACK_URL;
  const match = /^(.*?)\/monitor(?:\/(?:index\.html)?)?$/.exec(location.pathname);
  return location.origin + (match ? match[1] : '');
}

export function readStored(key) {
  try {
    return window.localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

/** Stores a trimmed value, or removes the key when it is empty. */
export function writeStored(key, value) {
  try {
    if (value) window.localStorage.setItem(key, value);
    else window.localStorage.removeItem(key);
  } catch {
    // Storage can be disabled (privacy mode); the setting then lasts for this page only.
  }
}

/**
 * First non-empty source wins, as in the original: the input, the stored setting, window.__AI_BACKEND_URL,
 * then the page's own origin. One trailing slash is stripped.
 */
export function resolveBackendUrl(inputValue) {
  const windowValue = typeof window.__AI_BACKEND_URL === 'string' ? window.__AI_BACKEND_URL : '';
  const candidates = [inputValue ?? '', readStored(URL_STORAGE_KEY), windowValue, defaultBackendUrl()];
  const chosen = candidates.map((value) => value.trim()).find((value) => value.length > 0);
  return stripTrailingSlash(chosen);
}

export class BackendError extends Error {
  /** kind: 'http' | 'network' | 'timeout' | 'aborted' | 'invalid_json' */
  constructor(message, { kind, status = null, code = null } = {}) {
    super(message);
    this.name = 'BackendError';
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: undefined };
  }
}

function firstString(...values) {
  return values.find((value) => typeof value === 'string' && value.length > 0);
}

/** `<prefix> <status> [<code>]: <message>` for contract errors, `<prefix> <status>: <body start>` otherwise. */
export function describeHttpError(prefix, status, bodyText) {
  const parsed = parseJson(bodyText);
  const body = parsed.value;
  if (parsed.ok && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const code = firstString(body.code) ?? 'backend_error';
    const message = firstString(body.message, body.error, body.detail) ?? prefix;
    return { message: `${prefix} ${status} [${code}]: ${message}`, code: firstString(body.code) ?? null };
  }
  const snippet = bodyText.replace(/\s+/g, ' ').trim().slice(0, BODY_SNIPPET_CHARS);
  return { message: snippet ? `${prefix} ${status}: ${snippet}` : `${prefix} ${status}`, code: null };
}

/**
 * getBaseUrl and getApiKey are read on every request, so a changed setting applies at once.
 * request() resolves with the parsed JSON body or rejects with a BackendError.
 */
export function createBackendClient({ getBaseUrl, getApiKey }) {
  async function request(method, path, options = {}) {
    const { body, prefix = 'Backend', timeoutMs = 6000, timeoutMessage, signal } = options;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forwardAbort = () => controller.abort();
    if (signal) {
      if (signal.aborted) controller.abort();
      else signal.addEventListener('abort', forwardAbort, { once: true });
    }

    const headers = { Accept: 'application/json' };
    const apiKey = getApiKey();
    if (apiKey) headers['X-API-Key'] = apiKey;
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    let response;
    let text;
    try {
      response = await fetch(getBaseUrl() + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: 'no-store',
      });
      // The body is read once, as text, inside the timeout; JSON is parsed from it below.
      text = await response.text();
    } catch (error) {
      if (timedOut) {
        throw new BackendError(timeoutMessage ?? `${prefix}: timed out after ${timeoutMs} ms`, { kind: 'timeout' });
      }
      if (signal?.aborted) throw new BackendError(`${prefix}: aborted`, { kind: 'aborted' });
      throw new BackendError(error instanceof Error ? error.message : String(error), { kind: 'network' });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forwardAbort);
    }

    if (!response.ok) {
      const described = describeHttpError(prefix, response.status, text);
      throw new BackendError(described.message, { kind: 'http', status: response.status, code: described.code });
    }
    const parsed = parseJson(text);
    if (!parsed.ok) {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, BODY_SNIPPET_CHARS);
      throw new BackendError(`${prefix} ${response.status}: response is not JSON${snippet ? ` (${snippet})` : ''}`, {
        kind: 'invalid_json',
        status: response.status,
      });
    }
    return parsed.value;
  }

  return { request };
}
