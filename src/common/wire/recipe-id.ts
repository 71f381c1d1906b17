import { ApiError } from '../errors/api-error';

const RECIPE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const DEFAULT_RECIPE = 'default';

/**
 * Normalises a recipe id (trim, lowercase; empty → "default"). "last" is reserved and anything outside the
 * pattern is rejected, with the original's messages (the raw value is quoted as sent).
 */
export function normaliseRecipeId(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return DEFAULT_RECIPE;
  const value = raw.trim().toLowerCase();
  if (value === '') return DEFAULT_RECIPE;
  if (value === 'last') {
    throw new ApiError(
      'invalid_recipe_id',
      `Invalid recipe_id '${raw}': value is reserved. Use an explicit recipe name (e.g. 'default' or a real recipe id).`,
      { recipe_id: raw },
    );
  }
  if (!RECIPE_PATTERN.test(value)) {
    throw new ApiError('invalid_recipe_id', `Invalid recipe_id '${raw}'. Allowed: [a-z0-9][a-z0-9_-]{0,63}.`, {
      recipe_id: raw,
    });
  }
  return value;
}

/** Recipe context precedence: payload (only a non-empty string) > X-Recipe-Id header > "default". */
export function resolveRecipeId(payloadValue: unknown, header: string | string[] | undefined): string {
  const headerValue = Array.isArray(header) ? header[0] : header;
  const fromPayload = typeof payloadValue === 'string' && payloadValue !== '' ? payloadValue : undefined;
  return normaliseRecipeId(fromPayload ?? headerValue);
}

/** For error bodies: the recipe the request named if it is valid, else "default" (never throws). */
export function safeRecipeId(payloadValue: unknown, header: string | string[] | undefined): string {
  try {
    return resolveRecipeId(payloadValue, header);
  } catch {
    return DEFAULT_RECIPE;
  }
}
