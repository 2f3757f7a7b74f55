import { createHash } from 'node:crypto';
import { GatewayError, ThrottlingError, UpstreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UpstreamCredential } from '../upstream/credential.js';

/**
 * The polling both live hubs share (`job-status-hub.ts`, `log-tail-hub.ts`): the upstream has no
 * push channel, so a live view is one loop of upstream reads per (credential, workspace, job) —
 * `pollerKey` — however many subscribers watch it, and this loop's rules for waiting and failing:
 *
 * - a poll is a `fetch` (the upstream read) and an `apply` (what the hub does with it); after a
 *   poll, the next one waits the interval (or runs at once when `apply` asks, or when `wake()` was
 *   called meanwhile);
 * - news from outside (an action) overrides a poll in flight: after `pollNow()` or `reset()` the
 *   running fetch's answer is ignored, never applied;
 * - throttled polls back off: the wait doubles with every throttled poll, up to `maxIntervalMs`,
 *   never shorter than the upstream's `Retry-After`; throttling never ends the loop;
 * - other upstream failures are retried with the same doubling; after `maxConsecutiveFailures` in a
 *   row, `onFail` gets the `UpstreamError`. Any other domain error (`NotFoundError`,
 *   `AuthenticationError`…) goes to `onFail` at once. A bug is logged and reported as an
 *   `UpstreamError` (`InternalError`) without exposing it.
 */
export interface PollLoopOptions {
  /** Wait between two polls. */
  intervalMs: number;
  /** Deadline of one poll. */
  timeoutMs: number;
  /** Longest wait while backing off. */
  maxIntervalMs: number;
  /** Failed polls in a row (5xx, timeouts, malformed replies) before giving up. Throttling never counts. */
  maxConsecutiveFailures: number;
  logger?: Logger | undefined;
  /** What is polled, for log lines and the error of a crashed poller, e.g. `job status`. */
  what: string;
  jobId: string;
}

/** What a poll decided: wait the interval, poll again at once (more to read), or stop (done). */
export type PollOutcome = 'wait' | 'now' | 'done';

export interface PollLoop {
  /** Aborted once the loop stops: pass it to work that belongs to the loop. */
  readonly signal: AbortSignal;
  /** Poll at once rather than after the wait (right after the running poll, if one runs). */
  wake(): void;
  /** Poll at once, also during a backoff; a poll in flight is ignored. */
  pollNow(): void;
  /**
   * The hub learnt the state from outside (an action's fresh read): a poll in flight is ignored, the
   * failure counts start again, and the next poll waits the interval.
   */
  reset(): void;
  stop(): void;
}

/** The defaults of both hubs' options. */
export function backoffDefaults(intervalMs: number, options: { maxIntervalMs?: number; maxConsecutiveFailures?: number }) {
  return {
    maxIntervalMs: options.maxIntervalMs ?? Math.max(60_000, intervalMs),
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
  };
}

/**
 * Starts polling at once: each poll awaits `fetch`, then (unless the loop stopped or the poll was
 * overridden meanwhile) calls `apply` with its answer. `onFail` is called (once) with the error
 * that ended the loop.
 */
export function startPollLoop<T>(
  options: PollLoopOptions,
  fetch: (signal: AbortSignal) => Promise<T>,
  apply: (value: T) => PollOutcome,
  onFail: (error: GatewayError) => void,
): PollLoop {
  const { intervalMs, timeoutMs } = options;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let woken = false;
  let failures = 0;
  let throttled = 0;
  /** Moves when a poll is overridden (`pollNow`, `reset`): a fetch that started before is out of date. */
  let generation = 0;

  const schedule = (delayMs: number): void => {
    if (!controller.signal.aborted) timer = setTimeout(() => void run(), delayMs);
  };

  async function run(): Promise<void> {
    const started = generation;
    timer = undefined;
    polling = true;
    woken = false;
    let outcome: PollOutcome;
    try {
      const value = await fetch(AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]));
      if (controller.signal.aborted || generation !== started) return;
      outcome = apply(value);
    } catch (error) {
      if (generation !== started) return;
      polling = false;
      if (!controller.signal.aborted) onFailure(error);
      return;
    }
    polling = false;
    if (controller.signal.aborted) return;
    failures = 0;
    throttled = 0;
    if (outcome === 'done') loop.stop();
    else schedule(outcome === 'now' || woken ? 0 : intervalMs);
  }

  /** Ignores the poll in flight (if any) and the pending wait. */
  const override = (): void => {
    generation += 1;
    polling = false;
    woken = false;
    clearTimeout(timer);
    timer = undefined;
  };

  function onFailure(error: unknown): void {
    const decision = decideAfterFailure(error, { failures, throttled }, options);
    failures = decision.failures;
    throttled = decision.throttled;
    if ('delayMs' in decision) {
      schedule(decision.delayMs);
      return;
    }
    loop.stop();
    onFail(decision.error);
  }

  const loop: PollLoop = {
    signal: controller.signal,
    wake() {
      if (controller.signal.aborted) return;
      if (polling) {
        woken = true;
      } else if (timer !== undefined && throttled === 0 && failures === 0) {
        // Never cuts a backoff short: only the interval's wait.
        clearTimeout(timer);
        schedule(0);
      }
    },
    pollNow() {
      if (controller.signal.aborted) return;
      override();
      void run();
    },
    reset() {
      if (controller.signal.aborted) return;
      override();
      failures = 0;
      throttled = 0;
      schedule(intervalMs);
    },
    stop() {
      clearTimeout(timer);
      controller.abort();
    },
  };
  void run();
  return loop;
}

/** Failed and throttled polls in a row, as a loop counts them. */
export interface FailureCounts {
  failures: number;
  throttled: number;
}

/**
 * The loop's rule for a failed poll (see `startPollLoop`): wait `delayMs` and poll again, or end
 * with `error`. Shared by every poller, whoever runs the loop (this module, or a fleet's
 * coordination in `shared-poll.ts`).
 */
export function decideAfterFailure(
  error: unknown,
  counts: FailureCounts,
  options: Pick<PollLoopOptions, 'intervalMs' | 'maxIntervalMs' | 'maxConsecutiveFailures' | 'logger' | 'what' | 'jobId'>,
): FailureCounts & ({ delayMs: number } | { error: GatewayError }) {
  const { intervalMs, maxIntervalMs, maxConsecutiveFailures, logger, what, jobId } = options;
  if (error instanceof ThrottlingError) {
    // The account's rate limit is shared by every caller of that key: slow down, do not give up.
    const throttled = counts.throttled + 1;
    const backoff = Math.min(maxIntervalMs, intervalMs * 2 ** throttled);
    const delayMs = Math.max(backoff, (error.retryAfter ?? 0) * 1000);
    logger?.warn({ jobId, code: error.code, requestId: error.requestId, delayMs }, `${what} poll throttled; backing off`);
    return { ...counts, throttled, delayMs };
  }
  const failures = counts.failures + 1;
  if (error instanceof UpstreamError && failures < maxConsecutiveFailures) {
    const delayMs = Math.min(maxIntervalMs, intervalMs * 2 ** failures);
    logger?.warn({ jobId, code: error.code, requestId: error.requestId, delayMs }, `${what} poll failed; retrying`);
    return { ...counts, failures, delayMs };
  }
  if (error instanceof GatewayError) return { ...counts, failures, error };
  // A bug, not an upstream answer: end the streams without exposing it.
  logger?.error({ err: error, jobId }, `${what} poller crashed`);
  return { ...counts, failures, error: new UpstreamError(`The ${what} could not be read.`, 'InternalError', null, null) };
}

/**
 * A poller's key: never the key itself but a digest, so a heap dump or a debug log of a hub's map
 * cannot leak it. `kind` keeps one hub's pollers apart from another's.
 */
export function pollerKey(id: string, credential: UpstreamCredential, kind?: string): string {
  const who = createHash('sha256').update(credential.apiKey).digest('base64url');
  return JSON.stringify(kind === undefined ? [who, credential.workspace, id] : [kind, who, credential.workspace, id]);
}

/** A poller's name across replicas (`shared-poll.ts`): a digest of its `pollerKey`. */
export function sharedPollerKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
