import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { MAX_JSON_DEPTH } from '../http/json-depth.js';

/** Longer than any operation name a person writes; a 500 KB one used to break `/metrics`. */
export const MAX_OPERATION_NAME_LENGTH = 256;

/**
 * Refuses requests whose parameters are shaped to cost more than any real operation, with a 400
 * before any other plugin sees the parameters (it is first in the list, so telemetry never records
 * the hostile name either):
 * - `operationName` longer than `MAX_OPERATION_NAME_LENGTH` (80 requests with 500 KB names made
 *   `/metrics` answer 500 for good, ~16 s and ~1 GB per scrape: every histogram bucket line
 *   repeated the name);
 * - `variables` or `extensions` nested deeper than `MAX_JSON_DEPTH`, checked after the JSON parse
 *   and before variable coercion (graphql-js coerces and prints values recursively). The walk is
 *   iterative and stops at the first value past the limit. JSON bodies are scanned before they are
 *   parsed (`http/json-depth.ts`); this catches what comes another way (a GET's query string).
 */
export function useRequestParamsLimits(): Plugin {
  return {
    onParams({ params }) {
      const refusal = paramsRefusal(params);
      if (refusal) throw refusal;
    },
  };
}

/** The rule above for one request's parameters: the error to answer, or null (also used by `use-graphql-sse-endpoint.ts`). */
export function paramsRefusal(params: { operationName?: unknown; variables?: unknown; extensions?: unknown }): GraphQLError | null {
  const { operationName } = params;
  if (typeof operationName === 'string' && operationName.length > MAX_OPERATION_NAME_LENGTH) {
    return badRequest(`The operation name must be at most ${MAX_OPERATION_NAME_LENGTH} characters.`);
  }
  if (deeperThan(params.variables, MAX_JSON_DEPTH) || deeperThan(params.extensions, MAX_JSON_DEPTH)) {
    return badRequest(`Variables and extensions may nest at most ${MAX_JSON_DEPTH} levels deep.`);
  }
  return null;
}

/** Whether a parsed JSON value nests objects/arrays more than `limit` levels (iterative: no stack to overflow). */
export function deeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (depth > limit) return true;
    const children = Array.isArray(current) ? current : Object.values(current as object);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function badRequest(message: string) {
  return createGraphQLError(message, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}
