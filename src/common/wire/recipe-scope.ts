// The recipe a request works in: payload recipe_id > X-Recipe-Id header > "default". Resolved once per request by
// the @RecipeScope() parameter, and recorded in the request context so every error body and diagnostics event of
// the request names it.
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { currentRequestContext } from '../request-context/request-context';
import { resolveRecipeId } from './recipe-id';
import { isUploadedPart } from './uploaded-part';

/** What every inspection and dataset operation carries: the request id and the recipe it works in. */
export interface RequestScope {
  recipeId: string;
  requestId: string;
}

/** Resolves the recipe (payload > header > default), records it in the request context, and returns the scope. */
export function enterRecipe(payloadValue: unknown, header: string | string[] | undefined): RequestScope {
  const recipeId = resolveRecipeId(payloadValue, header);
  const context = currentRequestContext();
  if (context) context.recipeId = recipeId;
  return { recipeId, requestId: context?.requestId ?? '' };
}

/** A form field's value as Starlette's FormData.get reads it: the last text value (file parts are not text). */
function lastText(value: unknown): string | undefined {
  const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== undefined && v !== null && !isUploadedPart(v));
  return values.length === 0 ? undefined : String(values[values.length - 1]);
}

/**
 * The request's RequestScope. `from` says where the payload's recipe_id is: a JSON body (default; only a
 * non-empty string counts), a form body (the last text value) or the query string.
 */
export const RecipeScope = createParamDecorator((from: 'json' | 'form' | 'query' | undefined, ctx: ExecutionContext): RequestScope => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const source = (from === 'query' ? req.query : req.body) as Record<string, unknown> | undefined;
  const raw = source !== null && typeof source === 'object' ? source.recipe_id : undefined;
  return enterRecipe(from === 'form' ? lastText(raw) : raw, req.headers['x-recipe-id']);
});
