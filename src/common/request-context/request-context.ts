import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line, diagnostics event and error body of one request needs to know. */
export interface RequestContext {
  requestId: string;
  /** Request path, for error details. */
  path: string;
  /** Inspection routes (and /health) answer errors with the legacy keys error/request_id/recipe_id. */
  legacyErrorKeys: boolean;
  /** Resolved recipe id once a handler resolved it; errors fall back to a safe resolution of the header. */
  recipeId?: string;
  startedAt: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
