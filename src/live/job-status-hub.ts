import { Repeater } from 'graphql-yoga';
import type { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';
import { type PollOutcome, backoffDefaults, pollerKey, startPollLoop } from './poll-loop.js';

/**
 * Live job status for the `fineTuneStatus` subscription (and the end of a `fineTuneLogs` tail). The
 * upstream has no push channel, so the hub polls `GET /fine-tunes/{id}` (the loop, its backoff and
 * its key are `poll-loop.ts`'s): one poller per (credential, workspace, job), however many
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
  const backoff = backoffDefaults(intervalMs, options);
  const pollers = new Map<string, Poller>();
  let closed = false;

  function startPoller(key: string, id: string, credential: UpstreamCredential): Poller {
    const subscribers = new Set<Subscriber>();
    const finish = (error?: GatewayError): void => {
      poller.stop();
      for (const subscriber of [...subscribers]) subscriber.end(error);
      subscribers.clear();
    };
    const onJob = (job: FineTuneJob): PollOutcome => {
      const changed = poller.last === null || poller.last.rawStatus !== job.rawStatus;
      poller.last = job;
      if (changed) for (const subscriber of subscribers) subscriber.push(job);
      if (job.isTerminal) {
        finish();
        return 'done';
      }
      return 'wait';
    };
    const poller: Poller = {
      subscribers,
      last: null,
      accept(job) {
        loop.reset();
        onJob(job);
      },
      pollNow() {
        loop.pollNow();
      },
      stop() {
        if (pollers.get(key) === poller) pollers.delete(key);
        loop.stop();
      },
    };
    pollers.set(key, poller);
    const loop = startPollLoop(
      { intervalMs, timeoutMs, ...backoff, logger, what: 'job status', jobId: id },
      async (signal) => (await client.getJob(id, credential, signal)).job,
      onJob,
      finish,
    );
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
