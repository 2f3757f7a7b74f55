import { randomUUID } from 'node:crypto';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { assertJsonDepth } from '../http/json-depth.js';
import { crossSiteRefusal } from './use-cross-site-protection.js';
import { paramsRefusal } from './use-request-params-limits.js';

/** The header and query parameter a graphql-sse client names its reserved stream by. */
const TOKEN_HEADER = 'x-graphql-event-stream-token';
const TOKEN_PARAM = 'token';

export interface GraphQLSSEEndpointOptions {
  /** The path, e.g. `/graphql/stream`. */
  endpoint: string;
  /** `GRAPHQL_MAX_BODY_BYTES`: the same body limit as `/graphql`. */
  maxBodyBytes: number;
  /** The headers that make a non-JSON POST acceptable (`CSRF_HEADERS`). */
  csrfHeaders: readonly string[];
  /** How long a reserved stream (PUT) may wait for its event stream (GET) before it is dropped. */
  reservationTimeoutMs: number;
}

/**
 * The GraphQL over SSE protocol's "single connection mode" (what graphql-sse's client does with
 * `singleConnection: true`): PUT reserves a stream and answers its token, a GET with the token is
 * the one event stream, POSTs with the token start operations on it, DELETE stops one. Served by
 * Yoga's graphql-sse plugin at its own path (`/graphql` keeps Yoga's built-in SSE, the protocol's
 * "distinct connections mode", which graphql-sse's client uses by default).
 *
 * The plugin answers in `onRequest`, before Yoga parses a request, so what `/graphql` gets from the
 * request parsing and `onParams` is applied here, by the same functions, before it runs:
 * cross-site protection (`crossSiteRefusal`), the body limit (a POST needs a Content-Length within
 * `GRAPHQL_MAX_BODY_BYTES`), the JSON nesting and operation-name limits (`paramsRefusal`). Parsing,
 * validation (the operation limits), context, execution, masking and the shutdown notice are the
 * Envelop pipeline's own: the plugin runs operations through `yoga.getEnveloped`.
 *
 * Two things the library leaves open are closed here: stream tokens come from `crypto.randomUUID`
 * (the library's default uses `Math.random`, and a token is all it takes to read a stream), and a
 * reservation whose event stream never connects is dropped after `reservationTimeoutMs` (the
 * library keeps it forever).
 *
 * Not installed where only trusted documents run: this protocol sends query texts.
 */
export function useGraphQLSSEEndpoint(options: GraphQLSSEEndpointOptions): Plugin {
  const { endpoint, maxBodyBytes, csrfHeaders, reservationTimeoutMs } = options;
  /** Reserved streams not yet connected, by token, with their expiry timers. */
  const waiting = new Map<string, NodeJS.Timeout>();
  const inner = useGraphQLSSE({
    endpoint,
    authenticate: (request) => {
      const token =
        request.headers.get(TOKEN_HEADER) ?? new URL(request.url ?? '', 'http://localhost/').searchParams.get(TOKEN_PARAM) ?? randomUUID();
      // A PUT reserves a stream under this token (a refused PUT leaves the timer nothing to drop).
      if (request.method === 'PUT') expire(token);
      return token;
    },
  });
  type InnerOnRequest = NonNullable<typeof inner.onRequest>;
  let handle: ((request: Request) => unknown) | undefined;

  return {
    ...inner,
    onYogaInit(payload) {
      inner.onYogaInit?.(payload);
      // The plugin's own request handler, reachable for the expiry below.
      handle = (request) =>
        inner.onRequest?.({ request, endResponse: () => {}, serverContext: {} } as unknown as Parameters<InnerOnRequest>[0]);
    },
    // Synchronous for every other path: an async hook would make every request's onRequest chain async.
    onRequest: (payload) => (payload.url.pathname === endpoint ? handleStreamRequest(payload) : undefined),
  };

  async function handleStreamRequest(payload: Parameters<InnerOnRequest>[0]): Promise<void> {
    const { request, url, endResponse, fetchAPI } = payload;
    const refuse = (error: GraphQLError) => endResponse(errorResponse(fetchAPI, error));
    if (request.method === 'POST') {
      const refusal = crossSiteRefusal(request, csrfHeaders) ?? bodyRefusal(request, maxBodyBytes);
      if (refusal) return refuse(refusal);
      const text = await request.clone().text();
      try {
        assertJsonDepth(text);
      } catch (error) {
        return refuse(error as GraphQLError);
      }
      const params = parseObject(text);
      const paramsError = params && paramsRefusal(params);
      if (paramsError) return refuse(paramsError);
    } else if (request.method === 'GET') {
      const search = url.searchParams;
      const paramsError = paramsRefusal({
        operationName: search.get('operationName') ?? undefined,
        variables: parseObject(search.get('variables')),
        extensions: parseObject(search.get('extensions')),
      });
      if (paramsError) return refuse(paramsError);
      const token = request.headers.get(TOKEN_HEADER) ?? search.get(TOKEN_PARAM);
      // The reserved stream is being opened (what graphql-sse's handler takes for it).
      if (token !== null && request.headers.get('accept') === 'text/event-stream') forget(token);
    }
    return inner.onRequest?.(payload);
  }

  function forget(token: string): void {
    clearTimeout(waiting.get(token));
    waiting.delete(token);
  }

  /** Drops a reservation that is still waiting after the timeout: connect to it and hang up at once. */
  function expire(token: string): void {
    forget(token);
    const timer = setTimeout(() => {
      waiting.delete(token);
      void handle?.(
        new Request(`http://localhost${endpoint}?${TOKEN_PARAM}=${encodeURIComponent(token)}`, {
          headers: { accept: 'text/event-stream' },
          signal: AbortSignal.abort(),
        }),
      );
    }, reservationTimeoutMs);
    timer.unref();
    waiting.set(token, timer);
  }
}

function bodyRefusal(request: Request, limit: number): GraphQLError | null {
  const length = request.headers.get('content-length');
  if (length === null || !/^\d+$/.test(length)) {
    return createGraphQLError('A POST to the stream endpoint needs a Content-Length.', {
      extensions: { code: 'LENGTH_REQUIRED', http: { status: 411 } },
    });
  }
  if (Number(length) > limit) {
    return createGraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
  }
  return null;
}

function parseObject(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    // The plugin answers unparsable parameters itself (400).
    return undefined;
  }
}

function errorResponse(fetchAPI: { Response: typeof Response }, error: GraphQLError): Response {
  const status = (error.extensions?.http as { status?: number } | undefined)?.status ?? 400;
  return new fetchAPI.Response(JSON.stringify({ errors: [error.toJSON()] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}
