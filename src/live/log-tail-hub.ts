import { Repeater } from 'graphql-yoga';
import type { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LogLine, LogPage } from '../model/fine-tune-log.js';
import type { FineTunesClient } from '../upstream/client.js';
import type { UpstreamCredential } from '../upstream/credential.js';
import { MAX_LOG_LINES } from '../upstream/job-path.js';
import type { JobStatusHub } from './job-status-hub.js';
import { type ErrorData, errorData, errorFromData } from './error-data.js';
import { type FailureCounts, backoffDefaults, decideAfterFailure, pollerKey, sharedPollerKey } from './poll-loop.js';
import { type PollCoordination, type PollHandle, createLocalCoordination } from './shared-poll.js';

/**
 * Live log tails for the `fineTuneLogs` subscription. One poller per (credential, workspace, job),
 * however many subscribers tail that job (`poll-loop.ts`: its key, backoff and failure rules); with
 * Redis (`coordination`, `shared-poll.ts`) one for the whole fleet: one replica reads the log, each
 * read's new lines (with their offset and the next one) go to every replica's poller, and a replica
 * taking over the lease reads on from the last message's next offset:
 *
 * - it reads `GET /fine-tunes/{id}/logs` from where it is, 1000 lines a call, at once again while
 *   pages come back full, else after the interval, and keeps the lines it read (the last
 *   `maxBufferedLines`) for its subscribers;
 * - it learns that the job ended from the job-status hub (`fineTuneStatus`'s shared poller, so a
 *   job watched by both costs one status poll), then reads the log once more, to its end, and
 *   completes: every line written before the job ended is sent;
 * - each subscriber reads the poller's lines from its own position (`after`), each line once and in
 *   order; a subscriber starting before the lines the poller keeps reads those itself, page by page.
 *
 * The poller stops when its last subscriber leaves; errors (NotFound, an upstream that keeps
 * failing…) end every subscriber's stream after the lines read before them.
 */
export interface LogTailHub {
  /** The job's log lines from position `from` (0-based) on; ends once the job ended and every line was sent. */
  tail(id: string, from: number, credential: UpstreamCredential, signal?: AbortSignal): AsyncIterableIterator<LogLine>;
  /** Pollers running now. */
  readonly pollers: number;
  /** Stops every poller; their subscribers' streams end. */
  close(): void;
}

export interface LogTailHubOptions {
  client: FineTunesClient;
  /** Where a poller learns that its job ended. */
  jobStatus: JobStatusHub;
  /** Wait between two reads of a log that had nothing new. */
  intervalMs: number;
  /** Deadline of one read. */
  timeoutMs: number;
  /** @default max(60000, intervalMs) */
  maxIntervalMs?: number;
  /** @default 3 */
  maxConsecutiveFailures?: number;
  /** Lines a poller keeps for its subscribers; older ones are read again by whoever needs them. @default 10000 */
  maxBufferedLines?: number;
  /**
   * Which replica polls (`shared-poll.ts`): with Redis, one log poll per job and credential for the
   * whole fleet, its new lines fanned out to every replica. @default this process polls for itself
   */
  coordination?: PollCoordination;
  logger?: Logger;
}

/**
 * What a poll tells every replica: the lines read from `offset` (one page at most), where the next
 * read starts, and `done` once the job ended and its log was read to the end; or the error that
 * ended the tail.
 */
type LogMessage = { offset: number; lines: string[]; next: number; done: boolean } | { error: ErrorData };

interface LogPoller {
  /** Position of `lines[0]`. */
  base: number;
  lines: string[];
  /** Set once the log is read to its end after the job ended, or the poller failed. */
  done: boolean;
  error: GatewayError | undefined;
  subscribers: number;
  /** Resolved (and replaced) whenever lines arrive or the poller is done. */
  changed: Promise<void>;
  /** Stops polling (the last subscriber left). */
  stop(): void;
  /** Stops polling and ends every subscriber's stream (after the lines it has not read yet). */
  end(error?: GatewayError): void;
}

export function createLogTailHub(options: LogTailHubOptions): LogTailHub {
  const { client, jobStatus, intervalMs, timeoutMs, logger } = options;
  const backoff = backoffDefaults(intervalMs, options);
  const coordination = options.coordination ?? createLocalCoordination();
  const maxBufferedLines = Math.max(MAX_LOG_LINES, options.maxBufferedLines ?? 10_000);
  const pollers = new Map<string, LogPoller>();
  let closed = false;

  function startPoller(key: string, id: string, credential: UpstreamCredential, from: number): LogPoller {
    let notify: () => void = () => undefined;
    const nextChange = (): Promise<void> => new Promise<void>((resolve) => (notify = resolve));
    const stopped = new AbortController();
    let handle: PollHandle | undefined;
    let terminal = false;
    // Held by whichever replica polls; a replica taking over starts counting afresh.
    let counts: FailureCounts = { failures: 0, throttled: 0 };
    const rules = { intervalMs, ...backoff, logger, what: 'job log', jobId: id };

    const poller: LogPoller = {
      base: from,
      lines: [],
      done: false,
      error: undefined,
      subscribers: 0,
      changed: nextChange(),
      stop() {
        if (pollers.get(key) === poller) pollers.delete(key);
        stopped.abort();
        handle?.stop();
      },
      end: (error) => finish(error),
    };
    const changed = (): void => {
      const wake = notify;
      poller.changed = nextChange();
      wake();
    };
    const finish = (error?: GatewayError): void => {
      poller.stop();
      poller.done = true;
      poller.error = error;
      changed();
    };

    const step = async (
      signal: AbortSignal,
      last: LogMessage | null,
    ): Promise<{ message: LogMessage | null; nextDelayMs: number | null }> => {
      // Only a read that starts after the job ended can be the last one.
      const final = terminal;
      // From where the fleet's last read ended (a replica taking over resumes there), else from here.
      const offset = last !== null && 'next' in last ? last.next : poller.base + poller.lines.length;
      let page: LogPage;
      try {
        page = await client.getJobLogs(
          id,
          { offset, line: MAX_LOG_LINES },
          credential,
          AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        );
      } catch (error) {
        if (signal.aborted) return { message: null, nextDelayMs: null };
        const decision = decideAfterFailure(error, counts, rules);
        counts = { failures: decision.failures, throttled: decision.throttled };
        if ('delayMs' in decision) return { message: null, nextDelayMs: decision.delayMs };
        return { message: { error: errorData(decision.error) }, nextDelayMs: null };
      }
      counts = { failures: 0, throttled: 0 };
      const next = offset + page.lines.length;
      const more = page.lines.length === MAX_LOG_LINES || (page.lines.length > 0 && page.total !== null && next < page.total);
      const done = final && !more;
      // Only the new lines travel (at most one page); a poll with nothing new tells nobody.
      const message = page.lines.length > 0 || done ? { offset, lines: [...page.lines], next, done } : null;
      return { message, nextDelayMs: done ? null : more ? 0 : intervalMs };
    };

    /** Lines from whichever replica read them: appended after those kept, each position once. */
    const deliver = (message: LogMessage): void => {
      if (poller.done) return;
      if ('error' in message) {
        finish(errorFromData(message.error));
        return;
      }
      const end = poller.base + poller.lines.length;
      if (message.offset > end) {
        // Lines this replica never got (it joined late, or started further on): its subscribers
        // before them read those themselves, as they do for lines no longer kept.
        poller.base = message.offset;
        poller.lines = [...message.lines];
      } else {
        poller.lines.push(...message.lines.slice(end - message.offset));
      }
      const excess = poller.lines.length - maxBufferedLines;
      if (excess > 0) {
        poller.lines.splice(0, excess);
        poller.base += excess;
      }
      if (message.done) finish();
      else if (poller.base + poller.lines.length !== end) changed();
    };

    // The log is read once the job's status is known: a job that already ended costs one read.
    void (async () => {
      try {
        for await (const job of jobStatus.watch(id, credential, stopped.signal)) {
          if (job.isTerminal) terminal = true;
          if (handle === undefined) {
            if (poller.done) break;
            handle = coordination.start<LogMessage>({ key: `logs:${sharedPollerKey(key)}`, step, deliver });
          } else if (terminal && counts.failures === 0 && counts.throttled === 0) {
            // The last read now rather than after the interval (never cutting a backoff short).
            handle.wake();
          }
        }
        // The status hub closed (shutdown) before the job ended.
        if (!terminal && !poller.done) finish();
      } catch (error) {
        // The job is gone, or its status cannot be read: the log cannot be followed either.
        if (!poller.done) finish(error as GatewayError);
      }
    })();

    pollers.set(key, poller);
    return poller;
  }

  /** A page the poller no longer keeps (or never read), read for one subscriber. */
  const readOwn = async (id: string, credential: UpstreamCredential, offset: number, line: number, signal: AbortSignal | undefined) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return client.getJobLogs(id, { offset, line }, credential, signal ? AbortSignal.any([signal, deadline]) : deadline);
  };

  return {
    tail(id, from, credential, signal) {
      return new Repeater<LogLine>(async (push, stop) => {
        if (closed) return stop();
        const key = pollerKey(id, credential, 'logs');
        const poller = pollers.get(key) ?? startPoller(key, id, credential, from);
        poller.subscribers += 1;
        let ended = false;
        const stopped = stop.then(() => {
          ended = true;
        });
        const onAbort = (): void => stop();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) stop();
        try {
          let position = from;
          while (!ended) {
            if (position < poller.base) {
              const page = await readOwn(id, credential, position, Math.min(MAX_LOG_LINES, poller.base - position), signal);
              if (page.lines.length === 0) throw new Error(`log of ${id} shrank below position ${position}`);
              for (const text of page.lines) {
                if (ended) break;
                await Promise.race([push({ offset: position, text }), stopped]);
                position += 1;
              }
            } else if (position < poller.base + poller.lines.length) {
              await Promise.race([push({ offset: position, text: poller.lines[position - poller.base] as string }), stopped]);
              position += 1;
            } else if (poller.done) {
              stop(poller.error);
              break;
            } else {
              await Promise.race([poller.changed, stopped]);
            }
          }
        } catch (error) {
          stop(error);
        } finally {
          signal?.removeEventListener('abort', onAbort);
          poller.subscribers -= 1;
          if (poller.subscribers === 0 && !poller.done) poller.stop();
        }
      });
    },
    get pollers() {
      return pollers.size;
    },
    close() {
      closed = true;
      for (const poller of [...pollers.values()]) poller.end();
      pollers.clear();
    },
  };
}
