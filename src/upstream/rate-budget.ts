import { LRUCache } from 'lru-cache';
import { ThrottlingError } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';
import { retryAfterSeconds } from './decode.js';
import { type CallSignal, type SendLayer, abortedError } from './layer.js';

export interface RateBudgetOptions {
  /** DASHSCOPE_MAX_RPS: calls per second per credential; 0: no budget (429 holds still apply). */
  maxRps: number;
  /** One call's time when the request carries no `deadlineAt`. */
  deadlineMs: number;
  /** Shares the budget (and 429 holds) between replicas; null: per process. */
  redis: RedisConnection | null;
  /** Redis failed: this decision was taken per process. */
  onFallback?: () => void;
  /** A call was refused over budget (ThrottlingError). */
  onRefused?: () => void;
}

/** What one decision says: wait this long before sending, or (refused) the wait it would have taken. */
interface Decision {
  granted: boolean;
  waitMs: number;
}

/**
 * Part of a call's time kept back from the wait: a call whose slot falls in the last 5% of its
 * deadline (at least 50 ms) is refused instead, since it would have no time left for the upstream.
 */
const DEADLINE_MARGIN = 0.05;
const MIN_DEADLINE_MARGIN_MS = 50;
/** How late after its slot a call may still leave (else it takes a new slot); the slots make room for it. */
const LATE_MS = 25;
/** Room left in each second for calls brought closer on the way (network, the upstream's own clock). */
const JITTER_MS = 25;
/** Credentials whose state the per-process budget keeps (forwarding mode has one per caller key). */
const LOCAL_CREDENTIALS = 10_000;

/**
 * One upstream rate budget per credential, for every replica at once: `DASHSCOPE_MAX_RPS` calls per
 * second, enforced with GCRA (the generic cell rate algorithm) on a theoretical arrival time (TAT)
 * per credential. Each call reserves the next slot, one emission interval (1/rps) after the last,
 * and waits until it; so in any one-second window at most `maxRps` calls leave, summed over the
 * replicas. The decision is one Lua script in Redis (atomic; Redis's clock), or the same arithmetic
 * in this process without Redis or while it fails.
 *
 * An upstream 429 with `Retry-After` moves the credential's TAT to the end of that wait: every
 * replica's calls for that credential are held until then.
 *
 * A call whose slot is further away than its deadline allows is not sent and not queued: it fails at
 * once with a ThrottlingError carrying `retryAfter` (whole seconds). A call that wakes up for its
 * slot too late (this process was busy) takes a new one (at most twice) rather than leave bunched
 * with the next calls; slots are spaced (1 s + 50 ms) / rps to leave room for that lateness and for jitter on the way. Keyed by the credential's scope (a digest), never the key.
 *
 * It sits inside the retry layer (every attempt pays its slot) and outside the concurrency limit (a
 * wait for the budget holds no upstream slot).
 */
export function createRateBudget(options: RateBudgetOptions): SendLayer {
  const { maxRps, deadlineMs, redis } = options;
  // Slots 1/rps apart, stretched so that rps + 1 calls always span more than a second even when
  // one of them leaves up to LATE_MS after its slot (see below) and the way to the upstream
  // (JITTER_MS) brings two calls closer.
  const intervalUs = maxRps > 0 ? Math.ceil(((1_000 + LATE_MS + JITTER_MS) * 1_000) / maxRps) : 0;
  const local = new LRUCache<string, number>({ max: LOCAL_CREDENTIALS });
  const gcra = redis?.script('ftgwGcra', GCRA, 1);
  const keyOf = (scope: string): string => `${redis?.prefix ?? ''}rate:${scope}`;

  /** The per-process twin of the script (microseconds on the monotonic clock). */
  const decideLocally = (scope: string, maxWaitUs: number, holdUs: number): Decision => {
    const now = performance.now() * 1000;
    let tat = Math.max(local.get(scope) ?? 0, now);
    if (holdUs > 0) {
      local.set(scope, Math.max(tat, now + holdUs));
      return { granted: true, waitMs: 0 };
    }
    const waitUs = tat - now;
    if (waitUs > maxWaitUs) return { granted: false, waitMs: waitUs / 1000 };
    tat += intervalUs;
    if (tat > now) local.set(scope, tat);
    return { granted: true, waitMs: waitUs / 1000 };
  };

  const decide = async (scope: string, maxWaitUs: number, holdUs: number): Promise<Decision> => {
    if (gcra !== undefined) {
      try {
        const [granted, waitUs] = (await gcra([keyOf(scope)], [intervalUs, Math.max(0, Math.floor(maxWaitUs)), Math.round(holdUs)])) as [
          number,
          number,
        ];
        return { granted: granted === 1, waitMs: waitUs / 1000 };
      } catch {
        options.onFallback?.();
      }
    }
    return decideLocally(scope, maxWaitUs, holdUs);
  };

  // A slot is only good when the call leaves on time: a process that wakes up later than this (a
  // busy event loop) takes a new slot instead, so late calls never bunch up with the next ones.
  const lateness = Math.min(LATE_MS, intervalUs / 4000);

  return (next) => async (request) => {
    const { scope } = request.credential;
    const deadlineAt = request.deadlineAt ?? performance.now() + deadlineMs;
    const margin = Math.max(MIN_DEADLINE_MARGIN_MS, DEADLINE_MARGIN * deadlineMs);
    for (let retake = 0; ; retake++) {
      // The slot is dated from before the decision was asked for: a reply read late counts as lateness.
      const asked = performance.now();
      const decision = await decide(scope, (deadlineAt - asked - margin) * 1000, 0);
      if (!decision.granted) {
        options.onRefused?.();
        throw new ThrottlingError(
          'The upstream request budget of this credential is used up for now (DASHSCOPE_MAX_RPS); retry later.',
          'Throttling.GatewayRateBudget',
          null,
          Math.max(1, Math.ceil(decision.waitMs / 1000)),
        );
      }
      const slot = asked + decision.waitMs;
      const waitMs = slot - performance.now();
      if (waitMs >= 1) await sleep(waitMs, request.signal);
      // Late for a third slot: this process is too busy to be on time at all; go rather than starve.
      if (intervalUs === 0 || performance.now() - slot <= lateness || retake === 2) break;
    }
    const reply = await next(request);
    if (reply.status === 429) {
      const value = reply.headers['retry-after'];
      const seconds = retryAfterSeconds(Array.isArray(value) ? value[0] : value);
      // Not awaited: the caller gets its 429 now; the hold is for the calls after it.
      if (seconds !== null && seconds > 0) void decide(scope, 0, seconds * 1_000_000);
    }
    return reply;
  };
}

function sleep(ms: number, signal: CallSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * GCRA, in microseconds of Redis's clock. KEYS[1]: the credential's TAT. ARGV: emission interval,
 * the longest wait the caller accepts, a hold (a 429's Retry-After; 0 for a normal call).
 * Returns { 1, wait } for a granted slot (wait before sending), { 0, wait } for a refusal.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local interval = tonumber(ARGV[1])
local hold = tonumber(ARGV[3])
if hold > 0 then
  if now + hold > tat then tat = now + hold end
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  return { 1, 0 }
end
local wait = tat - now
if wait > tonumber(ARGV[2]) then return { 0, wait } end
if interval > 0 then
  tat = tat + interval
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
return { 1, wait }
`;
