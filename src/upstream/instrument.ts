import { UpstreamError } from '../errors.js';
import { replyRequestId } from './decode.js';
import type { Endpoint, SendLayer, UpstreamReply } from './layer.js';

/** What this layer reports into (the gateway's `metrics.upstream`); declared here so upstream needs nothing from telemetry. */
export interface UpstreamCallMetrics {
  calls: { inc(labels: { endpoint: Endpoint; status: string }): void };
  duration: { observe(labels: { endpoint: Endpoint; status: string }, seconds: number): void };
  timeouts: { inc(labels: { endpoint: Endpoint }): void };
}

/**
 * Counts and times every real upstream call and reports it to the request's recorder. It must
 * sit closest to the network (first in the layer list), under any retry layer, so each attempt is
 * one observation and a retried 503 keeps its own status and request_id.
 */
export function instrumentUpstream(metrics: UpstreamCallMetrics): SendLayer {
  return (next) => async (request) => {
    const started = performance.now();
    let reply: UpstreamReply | undefined;
    let failure: unknown;
    try {
      reply = await next(request);
      return reply;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      const code = failure === undefined ? null : failureCode(failure);
      const httpStatus = reply?.status ?? (failure instanceof UpstreamError ? failure.httpStatus : null);
      const labels = { endpoint: request.endpoint, status: httpStatus === null ? (code ?? 'Error') : String(httpStatus) };
      metrics.calls.inc(labels);
      metrics.duration.observe(labels, durationMs / 1000);
      if (code === 'Timeout') metrics.timeouts.inc({ endpoint: request.endpoint });
      request.recorder?.recordUpstreamCall({
        endpoint: request.endpoint,
        status: httpStatus,
        failure: httpStatus === null ? code : null,
        requestId: reply !== undefined ? replyRequestId(reply) : failure instanceof UpstreamError ? failure.requestId : null,
        durationMs,
      });
    }
  };
}

function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'Error';
}
