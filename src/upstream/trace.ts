import { SpanKind, SpanStatusCode, type Tracer, context, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { UpstreamError } from '../errors.js';
import { replyRequestId } from './decode.js';
import type { Endpoint, SendLayer } from './layer.js';

/** Low-cardinality span names: the method and route template, never the job id. */
export const UPSTREAM_ROUTES: Record<Endpoint, { method: 'GET' | 'POST' | 'DELETE'; route: string }> = {
  getJob: { method: 'GET', route: '/api/v1/fine-tunes/{job_id}' },
  listJobs: { method: 'GET', route: '/api/v1/fine-tunes' },
  getJobLogs: { method: 'GET', route: '/api/v1/fine-tunes/{job_id}/logs' },
  listCheckpoints: { method: 'GET', route: '/api/v1/fine-tunes/{job_id}/checkpoints' },
  createJob: { method: 'POST', route: '/api/v1/fine-tunes' },
  cancelJob: { method: 'POST', route: '/api/v1/fine-tunes/{job_id}/cancel' },
  deleteJob: { method: 'DELETE', route: '/api/v1/fine-tunes/{job_id}' },
  exportCheckpoint: { method: 'GET', route: '/api/v1/fine-tunes/{job_id}/export/{checkpoint}' },
};

/** Our attribute for the upstream's request id (support tickets quote it). */
export const ATTR_UPSTREAM_REQUEST_ID = 'dashscope.request_id';
export const ATTR_UPSTREAM_ENDPOINT = 'dashscope.endpoint';

/**
 * One CLIENT span per real upstream call, a child of the GraphQL operation's span, and the W3C
 * `traceparent` of that span sent upstream. Only in the stack when tracing is configured, so with
 * tracing off no header is sent and nothing is allocated.
 */
export function traceUpstream(tracer: Tracer, origin: string): SendLayer {
  const propagator = new W3CTraceContextPropagator();
  const url = new URL(origin);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return (next) => async (request) => {
    const parent = request.recorder?.traceContext ?? context.active();
    const method = request.method ?? 'GET';
    const span = tracer.startSpan(
      `${method} ${UPSTREAM_ROUTES[request.endpoint].route}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_SERVER_ADDRESS]: url.hostname,
          [ATTR_SERVER_PORT]: port,
          [ATTR_URL_FULL]: `${url.origin}${request.path}`,
          [ATTR_UPSTREAM_ENDPOINT]: request.endpoint,
        },
      },
      parent,
    );
    const headers: Record<string, string> = { ...request.headers };
    propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter);
    try {
      const reply = await next({ ...request, headers });
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.status);
      const requestId = replyRequestId(reply);
      if (requestId !== null) span.setAttribute(ATTR_UPSTREAM_REQUEST_ID, requestId);
      // For a client span every 4xx/5xx is an error (OpenTelemetry HTTP conventions).
      if (reply.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(reply.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return reply;
    } catch (error) {
      const code = error instanceof UpstreamError ? error.code : 'Error';
      span.setAttribute(ATTR_ERROR_TYPE, code);
      if (error instanceof UpstreamError && error.httpStatus !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.httpStatus);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
      throw error;
    } finally {
      span.end();
    }
  };
}
