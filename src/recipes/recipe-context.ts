import { currentRequestContext } from '../common/request-context/request-context';
import { resolveRecipeId } from './recipe-id';

/**
 * Resolves the request's recipe (payload > X-Recipe-Id > default) and records it in the request context, so every
 * error body and diagnostics event of the request names it. Call it first in every inspection handler.
 */
export function enterRecipe(payloadValue: unknown, header: string | string[] | undefined): string {
  const recipeId = resolveRecipeId(payloadValue, header);
  const context = currentRequestContext();
  if (context) context.recipeId = recipeId;
  return recipeId;
}

export function currentRequestId(): string {
  return currentRequestContext()?.requestId ?? '';
}
