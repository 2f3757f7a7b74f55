import { UpstreamError } from '../errors.js';
import {
  type CallSignal,
  OVERLOADED,
  type SendLayer,
  type UpstreamReply,
  type UpstreamRequest,
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
  /**
   * Whose share a call counts against (see "Fair shares" below): by default the credential's scope
   * (a digest, never the key). `credential-standing.ts` puts every credential the upstream has not
   * accepted into one lane.
   */
  laneOf?: (request: UpstreamRequest) => string;
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
  lane: string;
  grant(): void;
  refuse(error: UpstreamError): void;
}

/**
 * A bulkhead for one upstream origin whose size follows the upstream (AIMD, as TCP's congestion
 * window and Netflix concurrency-limits' AIMDLimit): at most `limit()` calls in flight, at most
 * `queue` waiting (in fair shares, see below), every other call refused at once with `Overloaded`.
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
 *
 * Fair shares. Calls are grouped into lanes, one per credential (`laneOf`), so that one caller,
 * with one key or many made-up ones, cannot take the slots of the others:
 * - a free slot goes to the waiting lane with the fewest calls in flight (ties in turn, round
 *   robin), so a lane holding many slots gets the next one only when no other lane waits with fewer;
 * - a call waits whenever anybody waits (no overtaking), even if a slot is free;
 * - when the queue is full, a newcomer whose lane waits with fewer calls than the longest lane
 *   takes a place from that lane: its newest waiter is refused with `Overloaded` instead. So a
 *   flood fills the queue with its own calls only until someone else needs a place: the flooding
 *   lane is refused, not the others.
 */
export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const { max, queue, onLimitChange } = options;
  const min = Math.min(max, Math.max(1, options.min ?? 1));
  let limit = Math.min(max, Math.max(min, options.initial ?? max));
  let active = 0;
  /** Waiting calls by lane, the lanes in turn order (the next to serve first among equals). */
  const lanes = new Map<string, Waiter[]>();
  let waitingCount = 0;
  /** Calls in flight by lane (only lanes with calls in flight). */
  const activeByLane = new Map<string, number>();
  const laneOf = options.laneOf ?? ((request: UpstreamRequest) => request.credential.scope);
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

  const start = (lane: string): void => {
    active += 1;
    activeByLane.set(lane, (activeByLane.get(lane) ?? 0) + 1);
  };

  /** Removes a waiter from its lane (it was granted, refused or left). */
  const unqueue = (waiter: Waiter): boolean => {
    const queue = lanes.get(waiter.lane);
    const index = queue === undefined ? -1 : queue.indexOf(waiter);
    if (queue === undefined || index === -1) return false;
    queue.splice(index, 1);
    waitingCount -= 1;
    if (queue.length === 0) lanes.delete(waiter.lane);
    return true;
  };

  const grantWaiting = (): void => {
    while (waitingCount > 0 && active < Math.floor(limit)) {
      // The waiting lane with the fewest calls in flight; among equals, the first in turn order.
      let chosen: string | undefined;
      let fewest = Infinity;
      for (const lane of lanes.keys()) {
        const inFlight = activeByLane.get(lane) ?? 0;
        if (inFlight < fewest) {
          fewest = inFlight;
          chosen = lane;
        }
      }
      const queue = lanes.get(chosen as string) as Waiter[];
      const waiter = queue.shift() as Waiter;
      waitingCount -= 1;
      // Its turn is used: to the back of the turn order (or out, if nobody else of it waits).
      lanes.delete(waiter.lane);
      if (queue.length > 0) lanes.set(waiter.lane, queue);
      start(waiter.lane);
      waiter.grant();
    }
  };

  /** The lane with the most waiting calls (the first in turn order among equals). */
  const longestLane = (): Waiter[] | undefined => {
    let longest: Waiter[] | undefined;
    for (const queue of lanes.values()) if (longest === undefined || queue.length > longest.length) longest = queue;
    return longest;
  };

  const overloaded = (): UpstreamError =>
    new UpstreamError(
      `The gateway is overloaded: ${active} upstream calls are in flight and ${waitingCount} waiting. Retry shortly.`,
      OVERLOADED,
      null,
      null,
    );

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
    if ((active + waitingCount) * 2 >= limit) setLimit(limit + (slowStart ? 1 : 1 / limit));
  };

  const acquire = (request: UpstreamRequest): Promise<string> => {
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const lane = laneOf(request);
    if (active < Math.floor(limit) && waitingCount === 0) {
      start(lane);
      return Promise.resolve(lane);
    }
    if (waitingCount >= queue) {
      // Full: a place is taken from the longest lane only if this caller's lane waits with fewer.
      const longest = longestLane();
      const own = lanes.get(lane)?.length ?? 0;
      if (longest === undefined || longest.length <= own + 1) return Promise.reject(overloaded());
      const evicted = longest.at(-1) as Waiter;
      unqueue(evicted);
      evicted.refuse(overloaded());
    }
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        unqueue(waiter);
        reject(abortedError(signal as CallSignal));
      };
      const waiter: Waiter = {
        lane,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lane);
        },
        refuse: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = lanes.get(lane);
      if (queue === undefined) lanes.set(lane, [waiter]);
      else queue.push(waiter);
      waitingCount += 1;
    });
  };

  const release = (lane: string): void => {
    active -= 1;
    const inFlight = (activeByLane.get(lane) ?? 1) - 1;
    if (inFlight === 0) activeByLane.delete(lane);
    else activeByLane.set(lane, inFlight);
    grantWaiting();
  };

  const layer: SendLayer = (next) => async (request) => {
    const lane = await acquire(request);
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
      release(lane);
      // A deadline that passed is a `Timeout` (a drop); a caller that left is `Aborted` (ignored).
      observe(sentAt, reply !== undefined ? verdictOf(reply) : isTransientError(failure) ? 'drop' : 'ignore');
    }
  };

  return { layer, active: () => active, queued: () => waitingCount, limit: () => Math.floor(limit) };
}

function verdictOf(reply: UpstreamReply): 'drop' | 'success' {
  return reply.status === 429 || isFailureStatus(reply.status) ? 'drop' : 'success';
}
