import { type IBackoff, type IRetryBackoffContext, handleWhen, retry } from 'cockatiel';
import { UpstreamError } from '../errors.js';
import { retryAfterSeconds } from './decode.js';
import {
  CIRCUIT_OPEN,
  type SendLayer,
  type UpstreamReply,
  type UpstreamRequest,
  isIdempotent,
  isNothingSentError,
  isTransientError,
} from './layer.js';

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

/** A retry the call's own attempt function granted: the wait cockatiel's backoff then uses. */
interface Granted {
  event: RetryEvent;
  waitMs: number;
}

/**
 * Retries idempotent requests (GETs) that failed for a reason that may pass: HTTP 429, 5xx (but
 * 501), and refused, reset or timed-out connections. Other answers (4xx, malformed 200s) are final
 * at once.
 *
 * An action (`idempotent: false`: create, cancel, delete) is repeated only after a refused
 * connection, when provably nothing was sent. Once its request may have left (any reply, a reset, a
 * timeout, the caller leaving), its outcome is final: a 5xx, a 429 or a reset after the body was
 * sent ends as that error, because the upstream may have acted on it and has no idempotency key.
 *
 * Waits grow exponentially with jitter (half fixed, half random, so callers that failed together
 * do not come back together). A 429's or 503's `Retry-After` is honoured when it fits in the
 * deadline; when it does not, there is no point waiting: the 429 is answered at once and becomes a
 * ThrottlingError carrying `retryAfter`. After the last retry the last failure is answered as it is,
 * so the caller gets its HTTP status and upstream `request_id`.
 *
 * The deadline is counted from this call's first attempt; the operation's own signal, which started
 * earlier, ends a wait sooner when it fires, and then too the last failure is answered.
 *
 * cockatiel's retry policy runs the attempts and the waits. Whether a failure is worth a wait
 * depends on this call (its deadline, its signal), which a shared policy's predicates cannot see,
 * so each attempt decides for its own outcome and the policy retries exactly the outcomes granted.
 */
export function createRetryLayer(options: RetryOptions): SendLayer {
  const { max, baseDelayMs, maxDelayMs, deadlineMs, onRetry } = options;
  const random = options.random ?? Math.random;
  const granted = new WeakMap<object, Granted>();
  const isGranted = (outcome: unknown): boolean => typeof outcome === 'object' && outcome !== null && granted.has(outcome);
  const grantedWait: IBackoff<IRetryBackoffContext<unknown>> = {
    duration: 0,
    next: (context) => ({ duration: granted.get(outcomeValue(context.result))?.waitMs ?? 0, next: grantedWait.next }),
  };
  // Unref'd: a pending wait never holds the process open (the call's deadline ends it anyway).
  const policy = retry(handleWhen(isGranted).orWhenResult(isGranted), { maxAttempts: max, backoff: grantedWait }).dangerouslyUnref();
  if (onRetry) {
    policy.onRetry((event) => {
      const grant = granted.get(outcomeValue(event));
      if (grant) onRetry(grant.event);
    });
  }

  const backoff = (retry: number): number => {
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    return step / 2 + random() * (step / 2);
  };

  return (next) => (request) => {
    if (max === 0) return next(request);
    const failureOf = isIdempotent(request) ? transientFailure : nothingSentFailure;
    const { signal } = request;
    const deadline = Date.now() + deadlineMs;
    let previous: Outcome | null = null;
    let answered = false;
    // cockatiel's waits do not listen to a signal: when the caller goes away (or its deadline
    // passes) during one, the failure it had is answered at once, and the attempt cockatiel then
    // starts sends nothing. The listener is only added for a wait (most calls never wait).
    let answerEarly: ((outcome: Outcome) => void) | null = null;
    let onAbort: (() => void) | null = null;
    const stopListening = (): void => {
      if (onAbort !== null) signal?.removeEventListener('abort', onAbort);
      onAbort = null;
    };

    const attempt = async ({ attempt: retried }: { attempt: number }): Promise<UpstreamReply> => {
      if (answered) throw STOPPED;
      stopListening();
      const outcome = await settle(next(request));
      // The breaker opened under us: the failure that led here says more than "circuit open".
      if (previous !== null && isCircuitOpen(outcome)) {
        granted.delete(outcomeValue(previous));
        return answer(previous);
      }
      const failure = failureOf(outcome);
      if (failure !== null && retried < max) {
        const waitMs = Math.max(backoff(retried + 1), (failure.retryAfter ?? 0) * 1000);
        if (Date.now() + waitMs < deadline && !signal?.aborted) {
          const event = {
            endpoint: request.endpoint,
            attempt: retried + 1,
            delayMs: Math.round(waitMs),
            status: failure.status,
            code: failure.code,
          };
          granted.set(outcomeValue(outcome), { event, waitMs });
          if (signal !== undefined) {
            onAbort = () => {
              stopListening();
              answered = true;
              answerEarly?.(outcome);
            };
            signal.addEventListener('abort', onAbort, { once: true });
          }
        }
      }
      previous = outcome;
      return answer(outcome);
    };

    const run = policy.execute(attempt);
    if (signal === undefined) return run;
    return new Promise<UpstreamReply>((resolve, reject) => {
      answerEarly = (outcome) => {
        run.catch(() => undefined);
        settleWith(outcome, resolve, reject);
      };
      run.then(
        (reply) => {
          stopListening();
          resolve(reply);
        },
        (error: unknown) => {
          stopListening();
          reject(error);
        },
      );
    });
  };
}

/** Thrown by an attempt that starts after its call was already answered: never retried, never seen. */
const STOPPED = new Error('retry abandoned');

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
  return isTransientError(error) ? { status: null, code: error.code, retryAfter: null } : null;
}

/** The only failure after which an action may go again: nothing of it was sent. */
function nothingSentFailure(outcome: Outcome): TransientFailure | null {
  if ('error' in outcome && isNothingSentError(outcome.error)) return { status: null, code: outcome.error.code, retryAfter: null };
  return null;
}

function isCircuitOpen(outcome: Outcome): boolean {
  return 'error' in outcome && outcome.error instanceof UpstreamError && outcome.error.code === CIRCUIT_OPEN;
}

/** The object that stands for an outcome (cockatiel's `{ value }` or `{ error }`, or ours). */
function outcomeValue(outcome: { reply: UpstreamReply } | { value: unknown } | { error: unknown }): object {
  return ('reply' in outcome ? outcome.reply : 'value' in outcome ? outcome.value : outcome.error) as object;
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

function settleWith(outcome: Outcome, resolve: (reply: UpstreamReply) => void, reject: (error: unknown) => void): void {
  if ('error' in outcome) reject(outcome.error);
  else resolve(outcome.reply);
}
