import { createHash } from 'node:crypto';
import { Repeater } from 'graphql-yoga';
import { GatewayError, ThrottlingError, UpstreamError } from '../errors.js';
import { type ErrorData, errorData, errorFromData } from './error-data.js';
import { type PollCoordination, type PollHandle, createLocalCoordination } from './shared-poll.js';
import type { Logger } from '../logger.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';

/**
 * Live job status for the `fineTuneStatus` subscription. The upstream has no push channel, so the
 * hub polls `GET /fine-tunes/{id}`: one poller per (credential, workspace, job), however many
 * subscribers watch that job, so N browser tabs on one job cost one upstream call per interval.
 * A poller is never shared across credentials: each caller only ever sees what its own key sees.
 * With Redis (`coordination`), that holds for the whole fleet: one replica polls each job and
 * credential, and every replica's subscribers get its results.
 */
export interface JobStatusHub {
  /**
   * The job as it is now, then again at every status change; ends after a terminal status. Fails
   * with the GatewayError that stopped the watch (NotFound, Authentication, or an upstream that
   * kept failing). Calling `return()` on the iterator unsubscribes.
   */
  watch(id: string, credential: UpstreamCredential, signal?: AbortSignal): AsyncIterableIterator<FineTuneJob>;
  /** Pollers running now. */
  readonly pollers: number;
  /** Stops every poller; their subscribers' streams end. */
  close(): void;
}

export interface JobStatusHubOptions {
  client: FineTunesClient;
  /** Wait between two polls of one job. */
  intervalMs: number;
  /** Deadline of one poll. */
  timeoutMs: number;
  /** Longest wait between polls while backing off. @default max(60000, intervalMs) */
  maxIntervalMs?: number;
  /**
   * Failed polls in a row (5xx, timeouts, malformed replies) before the subscribers get the error.
   * Throttling never counts: it only slows the poller down. @default 3
   */
  maxConsecutiveFailures?: number;
  /**
   * Which replica polls (`shared-poll.ts`): with Redis, one poll per job and credential for the
   * whole fleet, results fanned out to every replica. @default this process polls for itself
   */
  coordination?: PollCoordination;
  logger?: Logger;
}

interface Subscriber {
  push(job: FineTuneJob): void;
  end(error?: GatewayError): void;
}

interface Poller {
  subscribers: Set<Subscriber>;
  /** The last job seen: a late subscriber starts from it. */
  last: FineTuneJob | null;
  stop(): void;
}

/** What a poll tells every replica: the job as polled, or the error that ends the watch. */
type StatusMessage = { job: FineTuneJob } | { error: ErrorData };

export function createJobStatusHub(options: JobStatusHubOptions): JobStatusHub {
  const { client, intervalMs, timeoutMs, logger } = options;
  const maxIntervalMs = options.maxIntervalMs ?? Math.max(60_000, intervalMs);
  const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 3;
  const coordination = options.coordination ?? createLocalCoordination();
  const pollers = new Map<string, Poller>();
  let closed = false;

  function startPoller(key: string, id: string, credential: UpstreamCredential): Poller {
    const subscribers = new Set<Subscriber>();
    // Held by whichever replica polls; a replica taking over starts counting afresh.
    let failures = 0;
    let throttled = 0;
    let handle: PollHandle | undefined;
    let stopped = false;

    const poller: Poller = {
      subscribers,
      last: null,
      stop() {
        stopped = true;
        if (pollers.get(key) === poller) pollers.delete(key);
        handle?.stop();
      },
    };

    const finish = (error?: GatewayError): void => {
      poller.stop();
      for (const subscriber of [...subscribers]) subscriber.end(error);
      subscribers.clear();
    };

    const step = async (signal: AbortSignal): Promise<{ message: StatusMessage | null; nextDelayMs: number | null }> => {
      let job: FineTuneJob;
      try {
        job = (await client.getJob(id, credential, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]))).job;
      } catch (error) {
        if (signal.aborted) return { message: null, nextDelayMs: null };
        return onFailure(error);
      }
      failures = 0;
      throttled = 0;
      return { message: { job }, nextDelayMs: job.isTerminal ? null : intervalMs };
    };

    const onFailure = (error: unknown): { message: StatusMessage | null; nextDelayMs: number | null } => {
      if (error instanceof ThrottlingError) {
        // The account's rate limit is shared by every caller of that key: slow down, do not give up.
        throttled += 1;
        const backoff = Math.min(maxIntervalMs, intervalMs * 2 ** throttled);
        const delay = Math.max(backoff, (error.retryAfter ?? 0) * 1000);
        logger?.warn({ jobId: id, code: error.code, requestId: error.requestId, delayMs: delay }, 'job status poll throttled; backing off');
        return { message: null, nextDelayMs: delay };
      }
      if (error instanceof UpstreamError && ++failures < maxConsecutiveFailures) {
        const delay = Math.min(maxIntervalMs, intervalMs * 2 ** failures);
        logger?.warn({ jobId: id, code: error.code, requestId: error.requestId, delayMs: delay }, 'job status poll failed; retrying');
        return { message: null, nextDelayMs: delay };
      }
      if (error instanceof GatewayError) return { message: { error: errorData(error) }, nextDelayMs: null };
      // A bug, not an upstream answer: end the streams without exposing it.
      logger?.error({ err: error, jobId: id }, 'job status poller crashed');
      return {
        message: { error: errorData(new UpstreamError('The job status could not be read.', 'InternalError', null, null)) },
        nextDelayMs: null,
      };
    };

    const deliver = (message: StatusMessage): void => {
      if (stopped) return;
      if ('error' in message) {
        finish(errorFromData(message.error));
        return;
      }
      const { job } = message;
      const changed = poller.last === null || poller.last.rawStatus !== job.rawStatus;
      poller.last = job;
      if (changed) for (const subscriber of subscribers) subscriber.push(job);
      if (job.isTerminal) finish();
    };

    pollers.set(key, poller);
    handle = coordination.start<StatusMessage>({ key: `job:${sharedKey(key)}`, step, deliver });
    if (stopped) handle.stop();
    return poller;
  }

  return {
    watch(id, credential, signal) {
      return new Repeater<FineTuneJob>(async (push, stop) => {
        if (closed) return stop();
        const key = pollerKey(id, credential);
        const poller = pollers.get(key) ?? startPoller(key, id, credential);
        const subscriber: Subscriber = {
          push: (job) => void push(job),
          end: (error) => stop(error),
        };
        poller.subscribers.add(subscriber);
        if (poller.last !== null) void push(poller.last);
        // The consumer may be stuck behind wrappers that only call return() after the next value;
        // the request's own signal ends the watch as soon as the client goes away.
        const onAbort = (): void => stop();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) stop();
        await stop;
        signal?.removeEventListener('abort', onAbort);
        poller.subscribers.delete(subscriber);
        if (poller.subscribers.size === 0) poller.stop();
      });
    },
    get pollers() {
      return pollers.size;
    },
    close() {
      closed = true;
      for (const poller of [...pollers.values()]) {
        poller.stop();
        for (const subscriber of [...poller.subscribers]) subscriber.end();
      }
      pollers.clear();
    },
  };
}

/** Never the key itself: a digest, so a heap dump or a debug log of the map cannot leak it. */
function pollerKey(id: string, credential: UpstreamCredential): string {
  const who = createHash('sha256').update(credential.apiKey).digest('base64url');
  return JSON.stringify([who, credential.workspace, id]);
}

/** The poller's name across replicas: a digest of (credential digest, workspace, job id). */
function sharedKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
