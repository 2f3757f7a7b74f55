import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { type YogaServerInstance, isPromise, processRegularResult } from 'graphql-yoga';
import { type Caller, type Context, type ContextDeps, createContext } from '../context.js';
import type { CompiledOperation, KnownOperations } from '../execution/known-operations.js';
import { DOCUMENT_ID_PARAM, type PersistedOperations, persistedOperationId } from '../persisted-operations.js';
import { VARY, cacheControlFor } from '../plugins/use-private-cache-control.js';
import type { RequestRecorder } from '../telemetry/request-recorder.js';
import type { RequestTelemetry } from '../telemetry/request-telemetry.js';
import { type SingleResultMediaType, singleResultMediaType } from './accept.js';

export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface KnownOperationRouteOptions {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  known: KnownOperations;
  telemetry: RequestTelemetry;
  contextDeps: ContextDeps;
  /** Yoga's masking (`maskedErrors`), applied to each error sent. */
  maskError: (error: GraphQLError) => GraphQLError;
  graphqlEndpoint: string;
  maxBodyBytes: number;
  /** False sends every request to Yoga. */
  enabled: boolean;
  /** With CORS configured, a request with an Origin goes to Yoga, which adds the CORS headers. */
  corsEnabled: boolean;
  /** The trusted documents, when a manifest is configured: requests may name one by id. */
  persisted: { operations: PersistedOperations; only: boolean } | null;
}

interface KnownRequest {
  operation: CompiledOperation;
  variables: Record<string, unknown>;
  mediaType: SingleResultMediaType;
}

/**
 * The gateway's HTTP handler: Yoga, with a shorter route in front for the requests most traffic
 * is made of, a frontend repeating the same queries.
 *
 * A POST of JSON to the GraphQL endpoint whose query text Yoga already parsed, validated and ran
 * as a compiled query (`KnownOperations`) is answered here: the compiled operation runs with the
 * same context, telemetry, error masking and headers as on Yoga, but without the Fetch API
 * Request/Response objects, the Envelop hook chain and the per-request parse/validate cache
 * lookups, which the CPU profile showed as a third of the cost of a cached request.
 *
 * Trusted documents named by id (`documentId`, or an APQ hash) are looked up in the manifest and
 * run the same way once their text is known.
 *
 * Everything else goes to Yoga unchanged, including every request this route is unsure of: an
 * unknown text or id, odd parameters, variables that don't coerce, other media types, CORS, a text
 * in trusted-documents-only mode. Yoga then answers exactly as if this route did not exist (the body read here is
 * handed on); `test/known-operation-route.test.ts` compares both answers.
 */
export function createGatewayHandler(options: KnownOperationRouteOptions): NodeHandler {
  const { known, telemetry, contextDeps, maskError, graphqlEndpoint, maxBodyBytes } = options;
  const yoga = options.yoga as unknown as NodeHandler;
  if (!options.enabled) return yoga;

  /** From the headers alone: could this be a known operation? Returns the answer's media type. */
  const admit = (request: IncomingMessage): SingleResultMediaType | null => {
    const { headers } = request;
    if (request.method !== 'POST' || request.url !== graphqlEndpoint) return null;
    const contentType = headers['content-type'];
    if (contentType !== 'application/json' && !contentType?.startsWith('application/json;')) return null;
    const length = headers['content-length'];
    if (length === undefined || !/^\d{1,9}$/.test(length) || Number(length) === 0 || Number(length) > maxBodyBytes) return null;
    if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return null;
    if (options.corsEnabled && headers.origin !== undefined) return null;
    return singleResultMediaType(headers.accept);
  };

  const { persisted } = options;
  const paramNames = new Set(['query', 'operationName', 'variables', 'extensions', ...(persisted ? [DOCUMENT_ID_PARAM] : [])]);

  /**
   * The text to run, as Yoga's persisted-operations plugin picks it: a query text wins (refused in
   * "only" mode); without one, the trusted document the request names by id. Null leaves it to Yoga.
   */
  const documentText = (query: unknown, params: Record<string, unknown>): string | null => {
    if (typeof query === 'string' && query !== '') return persisted?.only ? null : query;
    if ((query != null && query !== '') || persisted === null) return null;
    const id = persistedOperationId(params);
    return typeof id === 'string' ? (persisted.operations.get(id) ?? null) : null;
  };

  /** From the body: the compiled operation to run, or null for Yoga. */
  const recognise = (body: string, mediaType: SingleResultMediaType): KnownRequest | null => {
    let params: unknown;
    try {
      params = JSON.parse(body);
    } catch {
      return null;
    }
    if (!isRecord(params)) return null;
    for (const name in params) if (!paramNames.has(name)) return null;
    const { query, operationName, variables, extensions } = params;
    if (operationName != null && typeof operationName !== 'string') return null;
    if (variables != null && !isRecord(variables)) return null;
    if (extensions != null && !isRecord(extensions)) return null;
    const text = documentText(query, params);
    if (text === null) return null;
    const operation = known.lookup(text, operationName ?? null);
    if (operation === null || !known.variablesCoerce(operation, variables)) return null;
    return { operation, variables: variables ?? {}, mediaType };
  };

  const run = async (request: IncomingMessage, response: ServerResponse, known: KnownRequest, recorder: RequestRecorder): Promise<void> => {
    const { operation, mediaType } = known;
    recorder.operationName = operation.name;
    recorder.operationType = 'query';
    let result: ExecutionResult;
    let context: Context | undefined;
    try {
      context = createContext(contextDeps, callerOf(request, response), recorder);
      recorder.executeStartedAt = performance.now();
      const pending = operation.compiled.query(undefined, context, known.variables);
      result = isPromise(pending) ? await pending : pending;
      telemetry.executed(recorder, result.errors);
    } catch (error) {
      // Not a resolver's error (graphql-jit catches those): a bug in building the context or in
      // the compiled code. Masked and logged like any other.
      const wrapped = new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error });
      telemetry.executed(recorder, [wrapped]);
      result = { errors: [wrapped] };
    } finally {
      context?.deadline.dispose();
    }
    if (result.errors?.length) result = { ...result, errors: result.errors.map((error) => maskError(error as GraphQLError)) };
    telemetry.answered(recorder, result.errors);

    let status = 200;
    let body: string;
    let headers: Record<string, string>;
    if (result.errors === undefined && result.extensions === undefined) {
      body = JSON.stringify(result);
      headers = { 'content-type': `${mediaType}; charset=utf-8` };
    } else {
      // Yoga's own result processor decides the status and strips internal extensions.
      const answer = processRegularResult(result, options.yoga.fetchAPI, mediaType);
      status = answer.status;
      body = await answer.text();
      headers = Object.fromEntries(answer.headers);
    }
    if (!response.destroyed) {
      response.writeHead(status, {
        ...headers,
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': cacheControlFor('POST'),
        vary: VARY,
      });
      response.end(body);
    }
    telemetry.end(recorder, 'POST', status);
  };

  return (request, response) => {
    const mediaType = admit(request);
    if (mediaType === null) return yoga(request, response);
    // Counted (in flight, duration) from arrival, as Yoga counts its own; if Yoga ends up serving
    // the request, its telemetry plugin takes this recorder over.
    const recorder = telemetry.begin('POST', (name) => single(request.headers, name));
    readBody(request, (text) => {
      const knownRequest = text === null ? null : recognise(text, mediaType);
      if (knownRequest === null) {
        // Whatwg-node (under Yoga) reads a body a framework already read from `request.body`; a
        // body cut short is left for Yoga to find so (it answers 400, as without this route).
        if (text !== null) (request as IncomingMessage & { body?: string }).body = text;
        telemetry.handOver(request, recorder);
        yoga(request, response);
        return;
      }
      run(request, response, knownRequest, recorder).catch((error: unknown) => {
        // Only writing the response can get here; the socket is past saving.
        response.destroy(error instanceof Error ? error : undefined);
      });
    });
  };
}

/** Reads a whole body (its length already checked against the limit); null when the client went away mid-body. */
function readBody(request: IncomingMessage, onBody: (text: string | null) => void): void {
  request.setEncoding('utf8');
  let text = '';
  let ended = false;
  request.on('data', (chunk: string) => {
    text += chunk;
  });
  request.once('end', () => {
    ended = true;
    onBody(text);
  });
  request.once('close', () => {
    if (!ended) onBody(null);
  });
}

function callerOf(request: IncomingMessage, response: ServerResponse): Caller {
  let controller: AbortController | undefined;
  return {
    authorization: request.headers.authorization ?? null,
    onAbort(listener) {
      const onClose = (): void => {
        if (!response.writableFinished) listener(new DOMException('The client closed the connection', 'AbortError'));
      };
      if (response.destroyed) {
        onClose();
        return () => undefined;
      }
      response.once('close', onClose);
      return () => response.off('close', onClose);
    },
    signal() {
      if (controller === undefined) {
        controller = new AbortController();
        const abort = controller.abort.bind(controller);
        if (response.destroyed) abort();
        else response.once('close', () => response.writableFinished || abort());
      }
      return controller.signal;
    },
  };
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
