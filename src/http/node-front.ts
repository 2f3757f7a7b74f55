import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ServerAdapterInitialContext, sendNodeResponse } from '@whatwg-node/server';
import type { Plugin, YogaServer } from 'graphql-yoga';
import { assertJsonDepth } from './json-depth.js';

export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** How many requests each way in took: tests and `/ready` tell the two apart by these, never by log text. */
export interface FrontCounts {
  /** Served by `createNodeFront`'s own Node-to-Fetch adaptation. */
  direct: number;
  /** Handed to whatwg-node's adapter (bodies the front does not read itself). */
  adapter: number;
}

export interface NodeFront {
  handle: NodeHandler;
  readonly counts: FrontCounts;
}

export interface NodeFrontOptions {
  /** Yoga's request handling: request parsers, params, Envelop's parse/validate/context/execute, result processing. */
  server: Pick<YogaServer<ServerContext, Record<string, unknown>>, 'handle' | 'fetchAPI'>;
  /** The same plugin list, in the same order, that the adapter runs its onRequest/onResponse hooks from. */
  plugins: readonly { onRequest?: unknown; onResponse?: unknown }[];
  /** whatwg-node's adapter around the same server and plugins: everything the front does not take. */
  adapter: NodeHandler;
  graphqlEndpoint: string;
  /** Bodies up to this size are read here; larger ones go to the adapter, where the body limit refuses them unread. */
  maxBodyBytes: number;
  /** False sends every request through the adapter. @default true */
  enabled: boolean;
}

/** What the adapter passes Yoga as its server context for a Node request. */
export interface ServerContext extends ServerAdapterInitialContext {
  req: IncomingMessage;
  res: ServerResponse;
}

type OnRequest = NonNullable<Plugin['onRequest']>;
type OnResponse = NonNullable<Plugin['onResponse']>;

/**
 * The gateway's HTTP front end: one request pipeline, two ways in.
 *
 * Every request runs the same hooks in the same order: the server adapter's `onRequest` hooks,
 * Yoga's request handling (`onRequestParse`, `onParams`, Envelop's `parse`/`validate`/
 * `contextFactory`/`execute` with every plugin's hooks, `onExecutionResult`, `onResultProcess`),
 * then the `onResponse` hooks. A plugin added to the gateway's list applies to every request.
 *
 * The two ways in differ only in how a Node request becomes a Fetch request. For a GraphQL
 * request whose body is JSON of a known length (or that has no body, a GET), the front builds a
 * small Fetch-compatible request over the `IncomingMessage` and the body it read, runs the hooks
 * itself and writes the answer with whatwg-node's `sendNodeResponse`. The CPU profile showed
 * whatwg-node's generic adaptation (a streamed Request, an isolated context, promise chains
 * around every hook) as more than half the cost of a cached query. Every other request (chunked
 * or compressed bodies, other content types and paths) goes through whatwg-node's adapter.
 */
export function createNodeFront(options: NodeFrontOptions): NodeFront {
  const { server, adapter, graphqlEndpoint, maxBodyBytes } = options;
  const counts: FrontCounts = { direct: 0, adapter: 0 };
  const toAdapter: NodeHandler = (request, response) => {
    counts.adapter += 1;
    adapter(request, response);
  };
  if (!options.enabled) return { handle: toAdapter, counts };

  const onRequestHooks: OnRequest[] = [];
  const onResponseHooks: OnResponse[] = [];
  for (const plugin of options.plugins) {
    // Yoga's plugin type, whatever the context types: the hooks are called as the adapter calls them.
    if (plugin.onRequest) onRequestHooks.push(plugin.onRequest as OnRequest);
    if (plugin.onResponse) onResponseHooks.push(plugin.onResponse as OnResponse);
  }
  const { fetchAPI } = server;
  const waitUntil: ServerContext['waitUntil'] = (promise) => {
    // Nothing in the gateway hands work past the response; a rejection here must not go unhandled.
    promise?.catch(() => undefined);
  };

  /** The adapter's request handling, over the light request: onRequest hooks, Yoga, onResponse hooks. */
  const respond = async (request: Request, serverContext: ServerContext): Promise<Response> => {
    let response: Response | undefined;
    let handler = (current: Request, context: ServerContext) => server.handle(current, context);
    let current = request;
    let url: URL | undefined;
    let stopped = false;
    // One payload for every hook of the phase, as the adapter hands them.
    const onRequestPayload = {
      get request() {
        return current;
      },
      setRequest: (next: Request) => {
        current = next;
      },
      serverContext,
      fetchAPI,
      get url() {
        url ??= new URL(current.url);
        return url;
      },
      get requestHandler() {
        return handler;
      },
      setRequestHandler: (next: typeof handler) => {
        handler = next;
      },
      endResponse: (early: Response) => {
        response = early;
        if (early) stopped = true;
      },
    } as unknown as Parameters<OnRequest>[0];
    for (const onRequest of onRequestHooks) {
      // Awaited only when the hook is asynchronous: most return nothing, and each await is a turn of the microtask queue.
      const pending = onRequest(onRequestPayload);
      if (isPromiseLike(pending)) await pending;
      if (stopped) break;
    }
    response ??= await handler(current, serverContext);
    const onResponsePayload = {
      request: current,
      get response() {
        return response;
      },
      serverContext,
      setResponse: (next: Response) => {
        response = next;
      },
      fetchAPI,
    } as unknown as Parameters<OnResponse>[0];
    for (const onResponse of onResponseHooks) {
      const pending = onResponse(onResponsePayload);
      if (isPromiseLike(pending)) await pending;
    }
    return response;
  };

  const serve = (nodeRequest: IncomingMessage, nodeResponse: ServerResponse, body: Promise<string> | null): void => {
    counts.direct += 1;
    const serverContext: ServerContext = { req: nodeRequest, res: nodeResponse, waitUntil };
    const request = new NodeFetchRequest(nodeRequest, nodeResponse, body);
    respond(request as unknown as Request, serverContext)
      .then((response) => send(response, nodeRequest, nodeResponse))
      .catch((error: unknown) => {
        // Yoga turns every error of a request into an answer; only writing it can fail here,
        // and the socket is past saving.
        nodeResponse.destroy(error instanceof Error ? error : undefined);
      });
  };

  const handle: NodeHandler = (request, response) => {
    const kind = admit(request, graphqlEndpoint, maxBodyBytes);
    if (kind === null) return toAdapter(request, response);
    // The hooks run from arrival, as on the adapter (a slow upload is a request in flight);
    // the body is read meanwhile, and the request parser waits for it.
    serve(request, response, kind === 'json' ? readBody(request) : null);
  };
  return { handle, counts };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/**
 * Subscribes to the client going away before its answer was written (the socket closed); returns
 * the unsubscribe. What the context's deadline listens to, on either way in.
 */
export function onResponseClose(response: ServerResponse): (listener: (reason: unknown) => void) => () => void {
  return (listener) => {
    const onClose = (): void => {
      if (!response.writableFinished) listener(new DOMException('The client closed the connection', 'AbortError'));
    };
    if (response.destroyed) {
      onClose();
      return () => undefined;
    }
    response.once('close', onClose);
    return () => response.off('close', onClose);
  };
}

/**
 * Writes a Fetch response. A whole answer (Yoga's regular results carry their body as a string)
 * goes out as one `end`: head and body in one write, where whatwg-node's writer corks a
 * `write` and an `end` into a writev. Streams (SSE, multipart) go to whatwg-node's writer.
 */
function send(response: Response, nodeRequest: IncomingMessage, nodeResponse: ServerResponse): unknown {
  const body = stringBody(response);
  if (body === null) return sendNodeResponse(response, nodeResponse, nodeRequest, true);
  if (nodeResponse.destroyed || nodeResponse.writableEnded) return undefined;
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  });
  nodeResponse.writeHead(response.status, headers);
  nodeResponse.end(body);
  return undefined;
}

/** The body of a response made from a string (@whatwg-node/node-fetch keeps it as given), else null. */
function stringBody(response: Response): string | null {
  const ponyfill = response as unknown as { bodyType?: unknown; bodyInit?: unknown };
  return ponyfill.bodyType === 'String' && typeof ponyfill.bodyInit === 'string' ? ponyfill.bodyInit : null;
}

/** From the headers alone: can the front read this request's body itself (or is there none)? */
function admit(request: IncomingMessage, graphqlEndpoint: string, maxBodyBytes: number): 'json' | 'no-body' | null {
  const { url, headers, method } = request;
  if (url === undefined || !(url === graphqlEndpoint || url.startsWith(`${graphqlEndpoint}?`))) return null;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return null;
  const length = headers['content-length'];
  if (method === 'GET') return length === undefined || length === '0' ? 'no-body' : null;
  if (method !== 'POST') return null;
  const contentType = headers['content-type'];
  if (contentType !== 'application/json' && !contentType?.startsWith('application/json;')) return null;
  if (length === undefined || !/^\d{1,9}$/.test(length)) return null;
  const bytes = Number(length);
  return bytes > 0 && bytes <= maxBodyBytes ? 'json' : null;
}

/** Reads a whole body (its length already checked against the limit); rejects when the client goes away mid-body. */
function readBody(request: IncomingMessage): Promise<string> {
  const body = new Promise<string>((resolve, reject) => {
    request.setEncoding('utf8');
    let text = '';
    let ended = false;
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.once('end', () => {
      ended = true;
      resolve(text);
    });
    request.once('close', () => {
      if (!ended) reject(new DOMException('The client closed the connection while sending its body', 'AbortError'));
    });
  });
  // Read whether or not a parser asks for it (an early answer, e.g. a CSRF refusal, never does).
  body.catch(() => undefined);
  return body;
}

/**
 * The part of the Fetch API `Request` that Yoga, its plugins and ours use, over a Node request
 * and the body already read. Headers are read from Node's parsed headers on demand; the abort
 * signal is made only when something asks for it (the context does, for upstream calls).
 */
class NodeFetchRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: NodeHeaders;
  readonly #response: ServerResponse;
  readonly #body: Promise<string> | null;
  #controller: AbortController | undefined;
  #parsedUrl: URL | undefined;

  constructor(request: IncomingMessage, response: ServerResponse, body: Promise<string> | null) {
    this.method = request.method ?? 'GET';
    this.url = `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`;
    this.headers = new NodeHeaders(request.headers);
    this.#response = response;
    this.#body = body;
  }

  /** Read by whatwg-node's adapter and Yoga instead of parsing `url` again. */
  get parsedUrl(): URL {
    this.#parsedUrl ??= new URL(this.url);
    return this.#parsedUrl;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      onResponseClose(this.#response)((reason) => controller.abort(reason));
    }
    return this.#controller.signal;
  }

  get body(): null {
    // Read whole by the front; parsers take it through text() and json().
    return null;
  }

  get bodyUsed(): boolean {
    return false;
  }

  text(): Promise<string> {
    return this.#body ?? Promise.resolve('');
  }

  json(): Promise<unknown> {
    return this.text().then((text) => {
      // Before the parse: a deeply nested body is refused without paying for it.
      assertJsonDepth(text);
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        // As whatwg-node's Request words it, so both ways in answer a bad body alike.
        if (error instanceof SyntaxError) error.message += `, "${text}" is not valid JSON`;
        throw error;
      }
    });
  }
}

/** Fetch API `Headers` (read side) over Node's parsed, lower-cased headers. */
class NodeHeaders {
  readonly #headers: IncomingHttpHeaders;

  constructor(headers: IncomingHttpHeaders) {
    this.#headers = headers;
  }

  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.#headers[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    return [];
  }

  forEach(callback: (value: string, name: string, headers: NodeHeaders) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#headers)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  keys(): IterableIterator<string> {
    return Object.keys(this.#headers)[Symbol.iterator]();
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  set(): never {
    throw new TypeError('The headers of a request are immutable.');
  }

  append(): never {
    throw new TypeError('The headers of a request are immutable.');
  }

  delete(): never {
    throw new TypeError('The headers of a request are immutable.');
  }
}
