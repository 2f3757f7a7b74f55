import type { Context as TraceContext } from '@opentelemetry/api';
import { UpstreamError } from '../errors.js';
import type { UpstreamCredential } from './credential.js';

/**
 * The contract every upstream layer shares: what a call asks, what it gets back, and how a layer
 * wraps the next one. Layers (retry, circuit breaker, concurrency limit, metrics, tracing…) and the
 * transport import it; nothing here imports a layer.
 */

/**
 * The upstream endpoints the gateway calls: reads (`getJob`, `listJobs`, `getJobLogs`,
 * `listCheckpoints`) and actions (`createJob`, `cancelJob`, `deleteJob`, `exportCheckpoint`);
 * metrics, logs and spans name them.
 */
export type Endpoint =
  | 'getJob'
  | 'listJobs'
  | 'getJobLogs'
  | 'listCheckpoints'
  | 'createJob'
  | 'cancelJob'
  | 'deleteJob'
  | 'exportCheckpoint';

/**
 * What aborts a call: the part of `AbortSignal` the layers and undici use (`aborted`, `reason`,
 * `abort` listeners). Node's `AbortSignal` is one; so is `CallController`'s signal
 * (`call-signal.ts`), which the gateway makes for its own per-call signals because Node's cost
 * 10–20% of an uncached request's CPU (see docs/performance.md).
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** When it aborts on its own (a deadline), on the `performance.now()` clock, when it has one. */
  readonly deadlineAt?: number | undefined;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface UpstreamRequest {
  endpoint: Endpoint;
  /** @default "GET" */
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path and query, already validated and encoded (see `job-path.ts`). */
  path: string;
  /** A JSON request body (sent with `Content-Type: application/json`). */
  body?: string | undefined;
  /**
   * May this request be sent twice? True (the default for GET): the retry layer may repeat it after
   * any transient failure, and callers asking for the same thing at once share one call. False (the
   * default for every other method, and what an action must say): it is sent at most once, except
   * after a refused connection, when nothing was sent at all; it never joins another call.
   */
  idempotent?: boolean | undefined;
  credential: UpstreamCredential;
  /** Aborts the call: the operation's deadline (reason `TimeoutError`), or the client going away. */
  signal?: CallSignal | undefined;
  /** The GraphQL request this call serves, when there is one: every real call is reported to it. */
  recorder?: UpstreamCallRecorder | undefined;
  /**
   * When the call's time is up (`performance.now()` clock), when known: set by the shared-call
   * layer, which owns each call's deadline. Layers that may wait (the rate budget) wait only within it.
   */
  deadlineAt?: number | undefined;
  /** Extra headers for this call (e.g. `traceparent`); they never replace the credential headers. */
  headers?: Readonly<Record<string, string>> | undefined;
}

/** A reply as the transport read it: the body is always consumed, whatever the status. */
export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One upstream exchange. */
export type Send = (request: UpstreamRequest) => Promise<UpstreamReply>;

/**
 * A layer wraps one Send in another (retries, circuit breaking, caching, metrics…). Layers are
 * applied in array order, each around the previous: the first is closest to the network.
 */
export type SendLayer = (next: Send) => Send;

/** One real HTTP exchange with the upstream, as the instrumentation layer saw it. */
export interface UpstreamCallRecord {
  endpoint: Endpoint;
  /** The HTTP status, or null when no response arrived. */
  status: number | null;
  /** The network failure code (`Timeout`, `ConnectionReset`…) when no response arrived. */
  failure: string | null;
  /** The upstream's `request_id`, when it sent one. */
  requestId: string | null;
  durationMs: number;
}

/** Per-request accounting: the GraphQL request's side of its upstream calls (logs, traces). */
export interface UpstreamCallRecorder {
  /** The OpenTelemetry context of the GraphQL operation's span, parent of each call's span. */
  readonly traceContext: TraceContext | undefined;
  recordUpstreamCall(call: UpstreamCallRecord): void;
}

/** Whether `request` may be sent twice (see `UpstreamRequest.idempotent`). */
export function isIdempotent(request: UpstreamRequest): boolean {
  return request.idempotent ?? (request.method ?? 'GET') === 'GET';
}

/**
 * Network failure codes that prove nothing of the request left the gateway: the connection was
 * refused before a byte was written. The only failure after which an action may be sent again.
 */
export const NOTHING_SENT_CODES: ReadonlySet<string> = new Set(['ConnectionRefused']);

/** A failure of a call that never reached the upstream (see `NOTHING_SENT_CODES`). */
export function isNothingSentError(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && NOTHING_SENT_CODES.has(error.code);
}

/** Network failure codes the retry layer and the breaker treat as transient. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ConnectionRefused',
  'ConnectionReset',
  'ConnectionFailed',
  'Timeout',
]);

/** The code of the error a call gets while the circuit is open. */
export const CIRCUIT_OPEN = 'CircuitOpen';

/** The code of the error a call gets when the concurrency limit's wait queue is full. */
export const OVERLOADED = 'Overloaded';

/** The error for a call its signal ended: the operation's deadline (`Timeout`) or the caller leaving (`Aborted`). */
export function abortedError(signal: CallSignal, cause?: unknown): UpstreamError {
  const reason = signal.reason as { name?: unknown } | undefined;
  if (reason?.name === 'TimeoutError') {
    return new UpstreamError('The upstream did not answer in time.', 'Timeout', null, null, { cause: cause ?? signal.reason });
  }
  return new UpstreamError('The upstream call was aborted.', 'Aborted', null, null, { cause: cause ?? signal.reason });
}

/** 5xx except 501 (Not Implemented says nothing about the upstream's health). */
export function isFailureStatus(status: number): boolean {
  return status >= 500 && status !== 501;
}

/** A refused, reset or timed-out call: the upstream (or the way to it) may be unwell. */
export function isTransientError(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && TRANSIENT_NETWORK_CODES.has(error.code);
}
