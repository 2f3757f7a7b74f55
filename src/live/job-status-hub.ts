import { createHash } from 'node:crypto';
import { Repeater } from 'graphql-yoga';
import { GatewayError, ThrottlingError, UpstreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';

/**
 * Live job status for the `fineTuneStatus` subscription. The upstream has no push channel, so the
 * hub polls `GET /fine-tunes/{id}`: one poller per (credential, workspace, job), however many
 * subscribers watch that job, so N browser tabs on one job cost one upstream call per interval.
 * A poller is never shared across credentials: each caller only ever sees what its own key sees.
 */
export interface JobStatusHub {
  /**
   * The job as it is now, then again at every status change; ends after a terminal status. Fails
   * with the GatewayError that stopped the watch (NotFound, Authentication, or an upstream that
   * kept failing). Calling `return()` on the iterator unsubscribes.
   */
  watch(id: string, credential: UpstreamCredential, signal?: AbortSignal): AsyncIterableIterator<FineTuneJob>;
  /**
   * The job as an action just left it (read fresh after a cancel): its watchers get it now instead
   * of at the next poll, and a poll that was in flight is ignored. Nothing happens without watchers.
   */
  publish(job: FineTuneJob, credential: UpstreamCredential): void;
  /** The job changed in a way only the upstream can tell (it was deleted): poll it now if watched. */
  refresh(id: string, credential: UpstreamCredential): void;
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
  /** Takes a fresh job from outside (an action); polls in flight are ignored. */
  accept(job: FineTuneJob): void;
  /** Polls now; polls in flight are ignored. */
  pollNow(): void;
  stop(): void;
}

export function createJobStatusHub(options: JobStatusHubOptions): JobStatusHub {
  const { client, intervalMs, timeoutMs, logger } = options;
  const maxIntervalMs = options.maxIntervalMs ?? Math.max(60_000, intervalMs);
  const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 3;
  const pollers = new Map<string, Poller>();
  let closed = false;

  function startPoller(key: string, id: string, credential: UpstreamCredential): Poller {
    const subscribers = new Set<Subscriber>();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;
    let throttled = 0;
    /** Moves when the job comes from outside: a poll that started before is out of date. */
    let generation = 0;

    const poller: Poller = {
      subscribers,
      last: null,
      accept(job) {
        generation += 1;
        clearTimeout(timer);
        onJob(job);
      },
      pollNow() {
        generation += 1;
        clearTimeout(timer);
        void poll();
      },
      stop() {
        if (pollers.get(key) === poller) pollers.delete(key);
        clearTimeout(timer);
        controller.abort();
      },
    };

    const finish = (error?: GatewayError): void => {
      poller.stop();
      for (const subscriber of [...subscribers]) subscriber.end(error);
      subscribers.clear();
    };

    const schedule = (delayMs: number): void => {
      if (!controller.signal.aborted) timer = setTimeout(() => void poll(), delayMs);
    };

    async function poll(): Promise<void> {
      const started = generation;
      let job: FineTuneJob;
      try {
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]);
        job = (await client.getJob(id, credential, signal)).job;
      } catch (error) {
        if (controller.signal.aborted || generation !== started) return;
        onFailure(error);
        return;
      }
      if (controller.signal.aborted || generation !== started) return;
      onJob(job);
    }

    function onJob(job: FineTuneJob): void {
      if (controller.signal.aborted) return;
      failures = 0;
      throttled = 0;
      const changed = poller.last === null || poller.last.rawStatus !== job.rawStatus;
      poller.last = job;
      if (changed) for (const subscriber of subscribers) subscriber.push(job);
      if (job.isTerminal) finish();
      else schedule(intervalMs);
    }

    function onFailure(error: unknown): void {
      if (error instanceof ThrottlingError) {
        // The account's rate limit is shared by every caller of that key: slow down, do not give up.
        throttled += 1;
        const backoff = Math.min(maxIntervalMs, intervalMs * 2 ** throttled);
        const delay = Math.max(backoff, (error.retryAfter ?? 0) * 1000);
        logger?.warn({ jobId: id, code: error.code, requestId: error.requestId, delayMs: delay }, 'job status poll throttled; backing off');
        schedule(delay);
        return;
      }
      if (error instanceof UpstreamError && ++failures < maxConsecutiveFailures) {
        const delay = Math.min(maxIntervalMs, intervalMs * 2 ** failures);
        logger?.warn({ jobId: id, code: error.code, requestId: error.requestId, delayMs: delay }, 'job status poll failed; retrying');
        schedule(delay);
        return;
      }
      if (error instanceof GatewayError) {
        finish(error);
        return;
      }
      // A bug, not an upstream answer: end the streams without exposing it.
      logger?.error({ err: error, jobId: id }, 'job status poller crashed');
      finish(new UpstreamError('The job status could not be read.', 'InternalError', null, null));
    }

    pollers.set(key, poller);
    void poll();
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
    publish(job, credential) {
      pollers.get(pollerKey(job.id, credential))?.accept(job);
    },
    refresh(id, credential) {
      pollers.get(pollerKey(id, credential))?.pollNow();
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
