import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { type DocumentNode, GraphQLError, getOperationAST } from 'graphql';
import { type Plugin, isAsyncIterable } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from './metrics.js';
import { createOperationMetrics } from './operation-metrics.js';
import { RequestRecorder } from './request-recorder.js';

export interface RequestTelemetryOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Present only when tracing is configured: then each request gets a SERVER span. */
  tracer?: Tracer | undefined;
  /** Only requests to this path are GraphQL requests (not /metrics, /health or GraphiQL's page). */
  graphqlEndpoint: string;
  /** Another path that serves GraphQL (the graphql-sse endpoint): its requests are recorded too. */
  streamEndpoint?: string;
}

export interface RequestTelemetry {
  /** The Yoga plugin: creates each request's recorder and reports it when the response is ready. */
  plugin: Plugin;
  /** The recorder of a GraphQL request in flight, for the context factory to hand on. */
  recorderFor(request: Request): RequestRecorder | undefined;
}

/** OpenTelemetry semantic conventions for GraphQL (incubating, so spelled out here). */
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
export const ATTR_UPSTREAM_CALLS = 'gateway.upstream.calls';
export const ATTR_ERROR_TYPES = 'gateway.error_types';

/** Error code of a masked unexpected error: a bug, logged at error level. */
const UNEXPECTED = 'INTERNAL_SERVER_ERROR';

const headerGetter: TextMapGetter<(name: string) => string | undefined> = {
  keys: () => [],
  get: (header, key) => header(key),
};

/**
 * Per-request observability: the in-flight gauge, one structured log line per GraphQL request
 * (operation, duration, upstream calls and their request_ids, error types), the error counters,
 * and, with tracing on, the operation's SERVER span that the upstream spans hang under (an
 * incoming `traceparent`, e.g. from a federation router, becomes its parent).
 */
export function createRequestTelemetry(options: RequestTelemetryOptions): RequestTelemetry {
  const { metrics, tracer, graphqlEndpoint, streamEndpoint } = options;
  // The request line is built here from fixed fields, none of them a credential: it skips the
  // wildcard redaction every other line goes through (about 5% of the CPU of a cached request).
  const logger = options.logger.child({}, { redact: { paths: [] } });
  const recorders = new WeakMap<Request, RequestRecorder>();
  const spans = new WeakMap<RequestRecorder, Span>();
  const propagator = new W3CTraceContextPropagator();
  const operations = createOperationMetrics(metrics.registry);

  const begin = (method: string, header: (name: string) => string | undefined): RequestRecorder => {
    const recorder = new RequestRecorder();
    metrics.graphql.inFlight.inc();
    if (tracer) {
      const parent = propagator.extract(ROOT_CONTEXT, header, headerGetter);
      const span = tracer.startSpan(
        'GraphQL Operation',
        { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method } },
        parent,
      );
      spans.set(recorder, span);
      recorder.traceContext = trace.setSpan(parent, span);
    }
    return recorder;
  };

  /** Bugs still carry their original error here: Yoga masks after this. */
  const executed = (recorder: RequestRecorder, errors: readonly GraphQLError[] | undefined): void => {
    recorder.executeEndedAt = performance.now();
    for (const error of errors ?? []) {
      const original = error.originalError;
      if (!original || original instanceof GraphQLError) continue;
      recorder.recordUnexpectedError({
        path: error.path?.join('.') ?? null,
        type: original.name,
        message: original.message,
        stack: original.stack,
        reported: error,
      });
    }
  };

  const answered = (recorder: RequestRecorder, errors: readonly GraphQLError[] | undefined): void => {
    for (const error of errors ?? []) {
      const code = error.extensions?.code;
      recorder.recordGraphQLError(typeof code === 'string' ? code : 'UNKNOWN');
    }
  };

  const end = (recorder: RequestRecorder, method: string, status: number): void => {
    metrics.graphql.inFlight.dec();
    for (const type of recorder.errorResults) metrics.graphql.errors.inc({ kind: 'union', type });
    for (const type of recorder.graphqlErrors) metrics.graphql.errors.inc({ kind: 'graphql', type });
    operations.record(recorder, method, status);

    const span = spans.get(recorder);
    const errorTypes = recorder.errorTypes();
    const unexpected = recorder.unexpectedErrors.length > 0 || recorder.graphqlErrors.includes(UNEXPECTED) || status >= 500;
    const line = {
      operationName: recorder.operationName,
      operationType: recorder.operationType,
      method,
      httpStatus: status,
      durationMs: Math.round(recorder.elapsedMs() * 10) / 10,
      upstreamCalls: recorder.upstreamCalls.length,
      upstreamRequestIds: recorder.upstreamRequestIds(),
      errorTypes,
      ...(span ? { traceId: span.spanContext().traceId } : {}),
      ...(recorder.unexpectedErrors.length > 0
        ? {
            unexpectedErrors: recorder.unexpectedErrors.map(({ reported, ...error }) => ({
              errorId: (reported as { errorId?: string }).errorId,
              ...error,
            })),
          }
        : {}),
    };
    if (unexpected) logger.error(line, 'graphql request');
    else logger.info(line, 'graphql request');

    if (span) {
      const { operationName, operationType } = recorder;
      span.updateName(operationType ? `${operationType}${operationName ? ` ${operationName}` : ''}` : 'GraphQL Operation');
      if (operationName) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operationName);
      if (operationType) span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, operationType);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      span.setAttribute(ATTR_UPSTREAM_CALLS, recorder.upstreamCalls.length);
      if (errorTypes.length > 0) span.setAttribute(ATTR_ERROR_TYPES, errorTypes);
      if (recorder.graphqlErrors.length > 0 || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };

  const plugin: Plugin = {
    onRequest({ request, url }) {
      if (url.pathname !== graphqlEndpoint && url.pathname !== streamEndpoint) return;
      recorders.set(
        request,
        begin(request.method, (name) => request.headers.get(name) ?? undefined),
      );
    },
    onParams({ request, params }) {
      const recorder = recorders.get(request);
      if (recorder) recorder.operationName = params.operationName ?? null;
    },
    onParse({ context }) {
      const recorder = recorders.get(context.request);
      if (!recorder) return undefined;
      return ({ result }) => {
        if (result instanceof Error || result === null) return;
        const operation = getOperationAST(result as DocumentNode, recorder.operationName);
        recorder.operationName = operation?.name?.value ?? recorder.operationName;
        recorder.operationType = operation?.operation ?? null;
      };
    },
    onExecute({ args }) {
      const recorder = recorders.get(args.contextValue.request);
      if (!recorder) return undefined;
      recorder.executeStartedAt = performance.now();
      return {
        // Runs before Yoga masks the result (its masking plugin comes after ours).
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) executed(recorder, result.errors);
          else recorder.executeEndedAt = performance.now();
        },
      };
    },
    onResultProcess({ request, result }) {
      const recorder = recorders.get(request);
      if (!recorder || isAsyncIterable(result)) return;
      for (const single of Array.isArray(result) ? result : [result]) answered(recorder, single.errors);
    },
    onResponse({ request, response }) {
      const recorder = recorders.get(request);
      if (!recorder) return;
      recorders.delete(request);
      end(recorder, request.method, response.status);
    },
  };

  return { plugin, recorderFor: (request) => recorders.get(request) };
}
