import { Repeater } from 'graphql-yoga';
import type { GatewayError } from '../errors.js';
import { type ErrorData, errorData, errorFromData } from './error-data.js';
import { type PollCoordination, type PollHandle, createLocalCoordination } from './shared-poll.js';
import type { Logger } from '../logger.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';
import { type FailureCounts, backoffDefaults, decideAfterFailure, pollerKey, sharedPollerKey } from './poll-loop.js';

/**
 * Live job status for the `fineTuneStatus` subscription (and the end of a `fineTuneLogs` tail). The
 * upstream has no push channel, so the hub polls `GET /fine-tunes/{id}` (the loop, its backoff and
 * its key are `poll-loop.ts`'s): one poller per (credential, workspace, job), however many
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
  /** Takes a fresh job from outside (an action); polls in flight are ignored. */
  accept(job: FineTuneJob): void;
  /** Polls now; polls in flight are ignored. */
  pollNow(): void;
  stop(): void;
}

/** What a poll tells every replica: the job as polled, or the error that ends the watch. */
type StatusMessage = { job: FineTuneJob } | { error: ErrorData };

export function createJobStatusHub(options: JobStatusHubOptions): JobStatusHub {
  const { client, intervalMs, timeoutMs, logger } = options;
  const backoff = backoffDefaults(intervalMs, options);
  const coordination = options.coordination ?? createLocalCoordination();
  const pollers = new Map<string, Poller>();
  let closed = false;

  function startPoller(key: string, id: string, credential: UpstreamCredential): Poller {
    const subscribers = new Set<Subscriber>();
    // Held by whichever replica polls; a replica taking over starts counting afresh.
    let counts: FailureCounts = { failures: 0, throttled: 0 };
    let handle: PollHandle | undefined;
    let stopped = false;
    /** Moves when news comes from outside (an action): a poll that started before is out of date. */
    let generation = 0;
    const rules = { intervalMs, ...backoff, logger, what: 'job status', jobId: id };

    const poller: Poller = {
      subscribers,
      last: null,
      accept(job) {
        generation += 1;
        counts = { failures: 0, throttled: 0 };
        deliver({ job });
      },
      pollNow() {
        // Outside the fleet's loop (whose next step may be an interval away): one read, now.
        generation += 1;
        const started = generation;
        client.getJob(id, credential, AbortSignal.timeout(timeoutMs)).then(
          ({ job }) => {
            if (generation === started) deliver({ job });
          },
          (error: unknown) => {
            // Only an answer that ends the watch (the job is gone); failures are the loop's to retry.
            const decision = decideAfterFailure(
              error,
              { failures: 0, throttled: 0 },
              { ...rules, maxConsecutiveFailures: Number.POSITIVE_INFINITY },
            );
            if (generation === started && 'error' in decision) deliver({ error: errorData(decision.error) });
          },
        );
      },
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
      const started = generation;
      let job: FineTuneJob;
      try {
        job = (await client.getJob(id, credential, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]))).job;
      } catch (error) {
        if (signal.aborted) return { message: null, nextDelayMs: null };
        if (generation !== started) return { message: null, nextDelayMs: intervalMs };
        const decision = decideAfterFailure(error, counts, rules);
        counts = { failures: decision.failures, throttled: decision.throttled };
        if ('delayMs' in decision) return { message: null, nextDelayMs: decision.delayMs };
        return { message: { error: errorData(decision.error) }, nextDelayMs: null };
      }
      // An action's fresh read came meanwhile: this older answer is not told.
      if (generation !== started) return { message: null, nextDelayMs: intervalMs };
      counts = { failures: 0, throttled: 0 };
      return { message: { job }, nextDelayMs: job.isTerminal ? null : intervalMs };
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
    handle = coordination.start<StatusMessage>({ key: `job:${sharedPollerKey(key)}`, step, deliver });
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
