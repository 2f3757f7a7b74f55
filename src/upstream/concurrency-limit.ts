import { UpstreamError } from '../errors.js';
import {
  type CallSignal,
  OVERLOADED,
  type SendLayer,
  type UpstreamReply,
  abortedError,
  isFailureStatus,
  isTransientError,
} from './layer.js';

export interface ConcurrencyLimitOptions {
  /** The ceiling: the limit never grows past it (and the connection pool has this many sockets). */
  max: number;
  /** The floor: the limit never shrinks below it. @default 1 */
  min?: number;
  /** The limit to start from, before the upstream has been observed. @default max */
  initial?: number;
  /** Calls allowed to wait for a slot; one more fails at once with `Overloaded`. */
  queue: number;
  /** Told whenever the limit changes (the gauge in /metrics). */
  onLimitChange?: (limit: number) => void;
}

export interface ConcurrencyLimit {
  layer: SendLayer;
  /** Calls in flight. */
  active(): number;
  /** Calls waiting for a slot. */
  queued(): number;
  /** Calls allowed in flight now. */
  limit(): number;
}

/** Multiplied into the limit on a 429, a 5xx or a timeout (TCP's halving). */
const DROP_DECREASE = 0.5;
/** Multiplied into the limit when latency rises well above the best seen: a gentler signal. */
const LATENCY_DECREASE = 0.9;
/** Latency "rises well above the best seen" past this multiple of it… */
const LATENCY_TOLERANCE = 2;
/**
 * …plus this much: the latency measured here includes the gateway's own event-loop delay, which a
 * busy host adds on its own, and a sub-millisecond upstream's jitter is not congestion either.
 */
const LATENCY_SLACK_MS = 50;
/** Latency moves slowly and lags behind the limit: it may shrink the limit at most this often. */
const LATENCY_DECREASE_INTERVAL_MS = 1_000;
/** Weight of each new sample in the smoothed latency. */
const SMOOTHING = 0.1;
/** The best latency seen is forgotten after this long, so a slower-but-healthy upstream is relearned. */
const MIN_LATENCY_WINDOW_MS = 30_000;
/** Successes observed before latency is judged: the first calls pay for connections and a cold JIT. */
const WARM_UP_SAMPLES = 10;

interface Waiter {
  grant(): void;
}

/**
 * A bulkhead for one upstream origin whose size follows the upstream (AIMD, as TCP's congestion
 * window and Netflix concurrency-limits' AIMDLimit): at most `limit()` calls in flight, at most
 * `queue` waiting (first come, first served), every other call refused at once with `Overloaded`.
 *
 * Every answered call is a sample. A 429, a 5xx (but 501) or a timed-out/refused/reset call says
 * the upstream has too much: the limit is halved, at most once per round trip: only calls sent
 * after the last decrease may cause the next, since the ones sent before it were sent under the old
 * limit. A smoothed latency past twice the best seen (plus 50 ms) says calls are queueing over
 * there: the limit shrinks by 10%, at most once a second. Otherwise, while the limit is in use (at
 * least half of it busy or queued), each success grows it by 1/limit: about one more slot per round
 * trip; until the first decrease, by 1 (TCP's slow start: the limit may double per round trip).
 * Calls the caller abandoned, or that never reached the upstream, teach nothing.
 *
 * A waiting call leaves the queue as soon as its signal ends (deadline or client gone), so nobody
 * waits past their own deadline for a slot they no longer need.
 */
export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const { max, queue, onLimitChange } = options;
  const min = Math.min(max, Math.max(1, options.min ?? 1));
  let limit = Math.min(max, Math.max(min, options.initial ?? max));
  let active = 0;
  const waiting: Waiter[] = [];
  let lastDecreaseAt = -Infinity;
  let smoothedMs: number | null = null;
  let samples = 0;
  let bestMs = Infinity;
  let windowBestMs = Infinity;
  let windowStartedAt = performance.now();

  const setLimit = (next: number): void => {
    const bounded = Math.min(max, Math.max(min, next));
    if (bounded === limit) return;
    const before = Math.floor(limit);
    limit = bounded;
    if (Math.floor(limit) !== before) onLimitChange?.(Math.floor(limit));
    grantWaiting();
  };

  const grantWaiting = (): void => {
    while (waiting.length > 0 && active < Math.floor(limit)) {
      active += 1;
      (waiting.shift() as Waiter).grant();
    }
  };

  let lastLatencyDecreaseAt = -Infinity;
  let slowStart = true;
  const decrease = (sentAt: number, factor: number): void => {
    if (sentAt <= lastDecreaseAt) return;
    lastDecreaseAt = performance.now();
    slowStart = false;
    setLimit(Math.floor(limit * factor));
  };

  const observe = (sentAt: number, outcome: 'drop' | 'success' | 'ignore'): void => {
    if (outcome === 'ignore') return;
    const now = performance.now();
    if (outcome === 'drop') {
      decrease(sentAt, DROP_DECREASE);
      return;
    }
    const latencyMs = now - sentAt;
    if (now - windowStartedAt > MIN_LATENCY_WINDOW_MS) {
      bestMs = windowBestMs;
      windowBestMs = Infinity;
      windowStartedAt = now;
    }
    bestMs = Math.min(bestMs, latencyMs);
    windowBestMs = Math.min(windowBestMs, latencyMs);
    if (++samples > WARM_UP_SAMPLES) {
      smoothedMs = smoothedMs === null ? latencyMs : smoothedMs + SMOOTHING * (latencyMs - smoothedMs);
      if (smoothedMs > bestMs * LATENCY_TOLERANCE + LATENCY_SLACK_MS) {
        if (now - lastLatencyDecreaseAt >= LATENCY_DECREASE_INTERVAL_MS) {
          lastLatencyDecreaseAt = now;
          decrease(sentAt, LATENCY_DECREASE);
        }
        return;
      }
    }
    // Grow only a limit that is in use: an idle one says nothing about what the upstream can take.
    if ((active + waiting.length) * 2 >= limit) setLimit(limit + (slowStart ? 1 : 1 / limit));
  };

  const acquire = (signal: CallSignal | undefined): Promise<void> => {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (active < Math.floor(limit) && waiting.length === 0) {
      active += 1;
      return Promise.resolve();
    }
    if (waiting.length >= queue) {
      return Promise.reject(
        new UpstreamError(
          `The gateway is overloaded: ${active} upstream calls are in flight and ${waiting.length} waiting. Retry shortly.`,
          OVERLOADED,
          null,
          null,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = waiting.indexOf(waiter);
        if (index !== -1) waiting.splice(index, 1);
        reject(abortedError(signal as CallSignal));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(waiter);
    });
  };

  const release = (): void => {
    active -= 1;
    grantWaiting();
  };

  const layer: SendLayer = (next) => async (request) => {
    await acquire(request.signal);
    const sentAt = performance.now();
    let reply: UpstreamReply | undefined;
    let failure: unknown;
    try {
      reply = await next(request);
      return reply;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      release();
      // A deadline that passed is a `Timeout` (a drop); a caller that left is `Aborted` (ignored).
      observe(sentAt, reply !== undefined ? verdictOf(reply) : isTransientError(failure) ? 'drop' : 'ignore');
    }
  };

  return { layer, active: () => active, queued: () => waiting.length, limit: () => Math.floor(limit) };
}

function verdictOf(reply: UpstreamReply): 'drop' | 'success' {
  return reply.status === 429 || isFailureStatus(reply.status) ? 'drop' : 'success';
}
