import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * Content types a browser sends cross-site without a CORS preflight (a `<form>`, `fetch` with
 * `mode: 'no-cors'`, `navigator.sendBeacon`): the Fetch standard's CORS-safelisted ones.
 */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * Cross-site request protection where it matters: on requests that could change state.
 *
 * - GET (queries, and subscriptions over `Accept: text/event-stream`) needs nothing: a GET cannot
 *   run a mutation (Yoga answers 405), so a cross-site GET can only read, and whether the foreign
 *   page may read the answer is CORS's decision (off unless `CORS_ORIGINS` lists it). This lets
 *   urql's and graphql-request's GET queries, a browser's `EventSource` and Hive Gateway's GET
 *   subscriptions work without a custom header.
 * - Any other method (POST) must be one a browser would have preflighted: a body that is not a
 *   "simple" content type (JSON, what every GraphQL client sends), or one of `headers`. A
 *   cross-site form or `text/plain` POST, which runs without a preflight, is refused with 403
 *   before its body is read: nothing reaches the resolvers or the upstream.
 *
 * Replaces Yoga's `useCSRFPrevention`, which demands a header on every GET too.
 */
export function useCrossSiteProtection(headers: readonly string[]): Plugin {
  return {
    onRequestParse({ request }) {
      const refusal = crossSiteRefusal(request, headers);
      if (refusal) throw refusal;
    },
  };
}

/**
 * The rule above for one request: the error to answer, or null when the request may go on. Also
 * applied by the graphql-sse endpoint (`use-graphql-sse-endpoint.ts`), which Yoga's request parsing
 * does not see.
 */
export function crossSiteRefusal(request: Request, headers: readonly string[]): GraphQLError | null {
  if (request.method === 'GET' || request.method === 'HEAD') return null;
  if (isPreflighted(request.headers.get('content-type'))) return null;
  if (headers.some((name) => request.headers.has(name))) return null;
  return createGraphQLError(
    `Cross-site protection: a POST must have a JSON body (Content-Type: application/json) or one of the headers ${headers.join(', ')}.`,
    { extensions: { code: 'CSRF_PREVENTED', http: { status: 403 } } },
  );
}

/** True when a browser could only have sent this content type after a CORS preflight. */
function isPreflighted(contentType: string | null): boolean {
  // No body type at all (a typeless Blob) is as simple as it gets.
  if (contentType === null) return false;
  const value = contentType.trim().toLowerCase();
  // Prefix match, like Yoga's plugin: stricter than the essence comparison browsers make.
  return !SIMPLE_CONTENT_TYPES.some((simple) => value.startsWith(simple));
}
