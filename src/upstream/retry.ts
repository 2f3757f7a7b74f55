import { UpstreamError } from '../errors.js';
import { CIRCUIT_OPEN } from './circuit-breaker.js';
import { retryAfterSeconds, type UpstreamReply } from './decode.js';
import type { SendLayer } from './index.js';
import { TRANSIENT_NETWORK_CODES, type UpstreamRequest } from './transport.js';
import type { AbortSignalLike } from './abort.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 disables the layer. */
  max: number;
  /** First backoff step, doubled per retry. */
  baseDelayMs: number;
  /** Longest backoff step. A `Retry-After` may ask for more, up to the deadline. */
  maxDelayMs: number;
  /** The operation's upstream budget (DASHSCOPE_TIMEOUT_MS); no wait may end past it. */
  deadlineMs: number;
  onRetry?: (event: RetryEvent) => void;
  /** @default Math.random */
  random?: () => number;
}

export interface RetryEvent {
  endpoint: UpstreamRequest['endpoint'];
  /** The retry about to be made, from 1. */
  attempt: number;
  delayMs: number;
  /** What failed: an HTTP status or a network error code. */
  status: number | null;
  code: string | null;
}

type Outcome = { reply: UpstreamReply } | { error: unknown };

/**
 * Retries idempotent GETs that failed for a reason that may pass: HTTP 429, 5xx (but 501), and
 * refused, reset or timed-out connections. Other answers (4xx, malformed 200s) are final at once.
 *
 * Waits grow exponentially with jitter (half fixed, half random, so callers that failed together
 * do not come back together). A 429's or 503's `Retry-After` is honoured when it fits in the
 * deadline; when it does not, there is no point waiting: the 429 is answered at once and becomes a
 * ThrottlingError carrying `retryAfter`. After the last retry the last failure is answered as it is,
 * so the caller gets its HTTP status and upstream `request_id`.
 *
 * The deadline is counted from this call's first attempt; the operation's own signal, which started
 * earlier, ends a wait sooner when it fires, and then too the last failure is answered.
 */
export function createRetryLayer(options: RetryOptions): SendLayer {
  const { max, baseDelayMs, maxDelayMs, deadlineMs, onRetry } = options;
  const random = options.random ?? Math.random;

  const backoff = (retry: number): number => {
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    return step / 2 + random() * (step / 2);
  };

  return (next) => async (request) => {
    if (max === 0 || (request.method ?? 'GET') !== 'GET') return next(request);
    const deadline = Date.now() + deadlineMs;
    let previous: Outcome | null = null;
    for (let retry = 1; ; retry += 1) {
      const outcome = await settle(next(request));
      // The breaker opened under us: the failure that led here says more than "circuit open".
      if (previous !== null && isCircuitOpen(outcome)) return answer(previous);
      const failure = transientFailure(outcome);
      if (failure === null || retry > max) return answer(outcome);

      const delayMs = Math.max(backoff(retry), (failure.retryAfter ?? 0) * 1000);
      if (Date.now() + delayMs >= deadline || request.signal?.aborted) return answer(outcome);
      onRetry?.({ endpoint: request.endpoint, attempt: retry, delayMs: Math.round(delayMs), status: failure.status, code: failure.code });
      if (!(await sleep(delayMs, request.signal))) return answer(outcome);
      previous = outcome;
    }
  };
}

interface TransientFailure {
  status: number | null;
  code: string | null;
  retryAfter: number | null;
}

function transientFailure(outcome: Outcome): TransientFailure | null {
  if ('reply' in outcome) {
    const { status, headers } = outcome.reply;
    if (status !== 429 && (status < 500 || status === 501)) return null;
    const value = headers['retry-after'];
    const retryAfter = status === 429 || status === 503 ? retryAfterSeconds(Array.isArray(value) ? value[0] : value) : null;
    return { status, code: null, retryAfter };
  }
  const { error } = outcome;
  if (error instanceof UpstreamError && TRANSIENT_NETWORK_CODES.has(error.code)) {
    return { status: null, code: error.code, retryAfter: null };
  }
  return null;
}

function isCircuitOpen(outcome: Outcome): boolean {
  return 'error' in outcome && outcome.error instanceof UpstreamError && outcome.error.code === CIRCUIT_OPEN;
}

async function settle(promise: Promise<UpstreamReply>): Promise<Outcome> {
  try {
    return { reply: await promise };
  } catch (error) {
    return { error };
  }
}

function answer(outcome: Outcome): UpstreamReply {
  if ('error' in outcome) throw outcome.error;
  return outcome.reply;
}

/** Resolves true after `ms`, or false as soon as the signal ends. */
function sleep(ms: number, signal: AbortSignalLike | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
