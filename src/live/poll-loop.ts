import { createHash } from 'node:crypto';
import { GatewayError, ThrottlingError, UpstreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UpstreamCredential } from '../upstream/credential.js';

/**
 * The polling rules both live hubs share (`job-status-hub.ts`, `log-tail-hub.ts`): the upstream has
 * no push channel, so a live view is one loop of upstream reads per (credential, workspace, job) —
 * `pollerKey` — however many subscribers watch it. The loop itself is `shared-poll.ts`'s (which
 * replica runs it); each hub's `step` applies these rules to a failed read (`decideAfterFailure`):
 *
 * - throttled polls back off: the wait doubles with every throttled poll, up to `maxIntervalMs`,
 *   never shorter than the upstream's `Retry-After`; throttling never ends the loop;
 * - other upstream failures are retried with the same doubling; after `maxConsecutiveFailures` in a
 *   row, the poller ends with the `UpstreamError`. Any other domain error (`NotFoundError`,
 *   `AuthenticationError`…) ends it at once. A bug is logged and reported as an `UpstreamError`
 *   (`InternalError`) without exposing it.
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

/** The defaults of both hubs' options. */
export function backoffDefaults(intervalMs: number, options: { maxIntervalMs?: number; maxConsecutiveFailures?: number }) {
  return {
    maxIntervalMs: options.maxIntervalMs ?? Math.max(60_000, intervalMs),
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
  };
}

/** Failed and throttled polls in a row, as a loop counts them. */
export interface FailureCounts {
  failures: number;
  throttled: number;
}

/**
 * The rule for a failed poll (see the top): wait `delayMs` and poll again, or end with `error`.
 * Shared by every poller, whichever replica runs it (`shared-poll.ts`).
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
