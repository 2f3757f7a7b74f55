import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { GraphQLResponse } from './stack.js';

/**
 * A GraphQL subscription over Yoga's Server-Sent Events transport, read the way a browser's fetch
 * would: `event: next` carries a result, `event: complete` ends the stream, `:` lines are pings.
 */
export interface SseSubscription<T> {
  readonly status: number;
  readonly contentType: string | null;
  /** The next result, or null once the server completed (or closed) the stream. */
  next(timeoutMs?: number): Promise<GraphQLResponse<T> | null>;
  /** Every remaining result until the server completes the stream. */
  rest(timeoutMs?: number): Promise<GraphQLResponse<T>[]>;
  /** True once `event: complete` arrived. */
  readonly completed: boolean;
  /** Goes away like a closed browser tab. */
  close(): void;
}

export interface SubscribeOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
}

export async function subscribe<TResult, TVariables>(
  graphqlUrl: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  options: SubscribeOptions = {},
): Promise<SseSubscription<TResult>> {
  const controller = new AbortController();
  const query = print(document);
  const headers = { accept: 'text/event-stream', ...options.headers };
  const response =
    options.method === 'GET'
      ? await fetch(`${graphqlUrl}?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`, {
          // No CSRF header: a GET cannot change state, so it needs none (what an EventSource sends).
          headers,
          signal: controller.signal,
        })
      : await fetch(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
          signal: controller.signal,
        });

  const results: (GraphQLResponse<TResult> | null)[] = [];
  const waiters: (() => void)[] = [];
  let completed = false;
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const fields = parseEvent(block);
          if (fields.event === 'next') results.push(JSON.parse(fields.data) as GraphQLResponse<TResult>);
          if (fields.event === 'complete') completed = true;
          wake();
        }
      }
    } catch {
      // Aborted by close(), or the server went away: either way the stream has ended.
    } finally {
      results.push(null);
      wake();
    }
  })();

  const next = async (timeoutMs = 10_000): Promise<GraphQLResponse<TResult> | null> => {
    const deadline = Date.now() + timeoutMs;
    while (results.length === 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const result = results[0] ?? null;
    // The end marker stays, so every later next() also answers null.
    if (result !== null) results.shift();
    return result;
  };

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    next,
    async rest(timeoutMs = 10_000) {
      const all: GraphQLResponse<TResult>[] = [];
      for (let result = await next(timeoutMs); result !== null; result = await next(timeoutMs)) all.push(result);
      return all;
    },
    get completed() {
      return completed;
    },
    close: () => controller.abort(),
  };
}

function parseEvent(block: string): { event: string | null; data: string } {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }
  return { event, data: data.join('\n') };
}
