import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';

/**
 * Who runs a background poller, and how its findings reach every subscriber. A poller (the job
 * status hub's and the log tails') is a loop of `step`s; each step's message is `deliver`ed
 * to the subscribers of this replica.
 *
 * - `createLocalCoordination`: this process polls for its own subscribers (no REDIS_URL).
 * - `createRedisCoordination`: one replica of the fleet polls, holding a lease in Redis
 *   (`SET NX PX`, renewed every third of `leaseMs`); each message is published on a channel that
 *   every replica watching the same key listens to, and kept as the key's last message for
 *   replicas that join later. When the holder dies its lease runs out and another replica takes over
 *   within about `leaseMs`, resuming from the last message. While Redis is unavailable every replica
 *   polls for itself (per-process behaviour); when Redis is back they contend for the lease again
 *   and the losers go back to listening.
 *
 * `key` names the poller across replicas: derive it from a credential digest, never the key itself.
 */
export interface PollCoordination {
  start<M>(poll: PollDefinition<M>): PollHandle;
}

export interface PollDefinition<M> {
  /** The same string on every replica for the same poller (e.g. kind, credential digest, job id). */
  key: string;
  /**
   * One poll. `last` is the last message seen (this replica's or another's): a replica taking over
   * resumes from it. Returns a message for the subscribers, or null when there is nothing to tell
   * (a throttled poll, a failure that will be retried), and the wait before the next step, or null
   * when the poller is done (the last message says why).
   */
  step(signal: AbortSignal, last: M | null): Promise<{ message: M | null; nextDelayMs: number | null }>;
  /** A message for this replica's subscribers, from whichever replica polled. */
  deliver(message: M): void;
}

export interface PollHandle {
  /**
   * Steps now rather than after the pending wait (right after a step in flight), when this replica
   * runs the loop; elsewhere nothing happens (the holder learns the same news and wakes its own).
   */
  wake(): void;
  /** Leaves: no more steps or deliveries; a held lease is released at once. */
  stop(): void;
}

/** Every replica polls for its own subscribers: the behaviour without Redis. */
export function createLocalCoordination(): PollCoordination {
  return {
    start<M>(poll: PollDefinition<M>): PollHandle {
      const loop = stepLoop(poll, (message) => poll.deliver(message));
      loop.run(0);
      return { wake: () => loop.wake(), stop: () => loop.stop() };
    },
  };
}

export interface RedisCoordinationOptions {
  redis: RedisConnection;
  /** How long a lease lasts unless renewed; renewed (and contended) every third of it. */
  leaseMs: number;
  /** How long a poller's last message is kept for late joiners. */
  lastTtlMs: number;
  logger?: Logger | undefined;
  /** A Redis operation failed; the replica went on per process. */
  onFallback?: () => void;
}

interface Envelope<M> {
  /** The replica's poller that sent it: its own messages are not delivered twice. */
  from: string;
  message: M;
}

export function createRedisCoordination(options: RedisCoordinationOptions): PollCoordination {
  const { redis, leaseMs, lastTtlMs, logger } = options;
  const renew = redis.script('ftgwLeaseRenew', RENEW, 1);
  const release = redis.script('ftgwLeaseRelease', RELEASE, 1);
  const listeners = new Map<string, (text: string) => void>();
  let listening = false;
  const listen = (): void => {
    if (listening) return;
    listening = true;
    redis.subscriber().on('message', (channel: string, text: string) => listeners.get(channel)?.(text));
  };
  const fallback = (error: unknown): void => {
    options.onFallback?.();
    logger?.debug({ err: error }, 'shared poller: redis failed; polling per process');
  };

  return {
    start<M>(poll: PollDefinition<M>): PollHandle {
      const id = randomUUID();
      const channel = `${redis.prefix}poll:${poll.key}`;
      const leaseKey = `${redis.prefix}lease:${poll.key}`;
      const lastKey = `${redis.prefix}last:${poll.key}`;
      let stopped = false;
      /** This replica holds the lease: its steps are everyone's. */
      let holding = false;
      /** Since when Redis has been unavailable, as this poller saw it. */
      let degradedSince: number | null = null;
      /** A running loop while Redis is away: this replica was the holder, or already polls alone. */
      const wasHolding = (): boolean => holding || loop.running;

      const loop = stepLoop(poll, (message) => {
        // Told to the fleet before this replica's subscribers: delivering a final message stops the
        // poller here (and releases the lease), which must not keep it from the other replicas.
        if (holding) {
          const text = JSON.stringify({ from: id, message } satisfies Envelope<M>);
          redis.call((client) => client.multi().publish(channel, text).set(lastKey, text, 'PX', lastTtlMs).exec()).catch(fallback);
        } // else polling per process while Redis is away: nobody else to tell
        poll.deliver(message);
      });
      const onText = (text: string): void => {
        if (stopped) return;
        let envelope: Envelope<M>;
        try {
          envelope = JSON.parse(text) as Envelope<M>;
        } catch {
          return;
        }
        if (envelope.from === id) return;
        loop.seen(envelope.message);
        poll.deliver(envelope.message);
      };

      /** Every third of the lease: renew it, or contend for it, or poll per process while Redis is away. */
      const tick = async (): Promise<void> => {
        if (stopped) return;
        if (redis.state() !== 'up') {
          // A holder goes on alone at once. A listener waits until Redis has been away for a whole
          // lease (the holder's lease would have run out by then anyway), so a blip (one slow
          // command) does not set every replica polling.
          degradedSince ??= performance.now();
          holding = false;
          if (!loop.running && (wasHolding() || performance.now() - degradedSince >= leaseMs)) loop.run(0);
          return;
        }
        degradedSince = null;
        try {
          if (holding) {
            if ((await renew([leaseKey], [id, leaseMs])) === 1) return;
            holding = false;
            logger?.info({ poller: poll.key }, 'shared poller: lease lost; listening');
          } else if ((await redis.call((client) => client.set(leaseKey, id, 'PX', leaseMs, 'NX'))) === 'OK') {
            if (stopped) return void release([leaseKey], [id]).catch(() => undefined);
            holding = true;
            // A replica that was polling on its own (Redis was away) goes on; any other starts now.
            if (!loop.running) loop.run(0);
            return;
          }
          // Someone else polls: listen only.
          loop.stop();
        } catch (error) {
          // Handled like Redis being away (the connection is degraded now): see the top.
          fallback(error);
          degradedSince ??= performance.now();
          if (!holding && !loop.running && performance.now() - degradedSince >= leaseMs) loop.run(0);
          holding = false;
        }
      };
      const timer = setInterval(() => void tick(), Math.max(50, Math.floor(leaseMs / 3)));
      timer.unref();

      listen();
      listeners.set(channel, onText);
      const subscriber = redis.subscriber();
      const subscribed = subscriber.subscribe(channel).catch(fallback);
      // A late joiner starts from the last message, then contends for the lease. Subscribed first:
      // the holder publishes and stores each message in one transaction, so a message is either
      // in the last key when read, or published after the subscription took effect.
      void (async () => {
        await Promise.race([subscribed, delay(leaseMs / 3)]);
        if (stopped) return;
        if (redis.state() === 'up') {
          try {
            const text = await redis.call((client) => client.get(lastKey));
            if (text !== null) onText(text);
          } catch (error) {
            fallback(error);
          }
        }
        await tick();
      })();

      return {
        wake() {
          if (!stopped) loop.wake();
        },
        stop() {
          if (stopped) return;
          stopped = true;
          clearInterval(timer);
          loop.stop();
          if (listeners.get(channel) === onText) listeners.delete(channel);
          void subscriber.unsubscribe(channel).catch(() => undefined);
          if (holding) {
            holding = false;
            // Released at once, so another replica with subscribers takes over at its next tick.
            release([leaseKey], [id]).catch(() => undefined);
          }
        },
      };
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

interface StepLoop<M> {
  readonly running: boolean;
  /** Starts stepping after `delayMs` (no-op when running or finished). */
  run(delayMs: number): void;
  /** Steps now when running: at once while waiting, right after the step in flight otherwise. */
  wake(): void;
  /** Stops stepping (a step in flight is aborted); `run` may start it again. */
  stop(): void;
  /** A message from another replica: the next step resumes from it. */
  seen(message: M): void;
}

/** The poll loop itself: step, hand the message on, wait, step again; until a step says done. */
function stepLoop<M>(poll: PollDefinition<M>, emit: (message: M) => void): StepLoop<M> {
  let last: M | null = null;
  let controller: AbortController | null = null;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  /** A step is in flight. */
  let stepping = false;
  /** `wake` was called during the step in flight. */
  let woken = false;

  const step = async (own: AbortController): Promise<void> => {
    stepping = true;
    woken = false;
    try {
      await stepOnce(own);
    } finally {
      if (controller === own) stepping = false;
    }
  };
  const stepOnce = async (own: AbortController): Promise<void> => {
    let outcome: Awaited<ReturnType<PollDefinition<M>['step']>>;
    try {
      outcome = await poll.step(own.signal, last);
    } catch {
      // A step must not throw; if it does, try again later rather than die silently.
      outcome = { message: null, nextDelayMs: 1_000 };
    }
    if (own.signal.aborted) return;
    if (outcome.message !== null) {
      last = outcome.message;
      emit(outcome.message);
    }
    if (own.signal.aborted) return;
    if (outcome.nextDelayMs === null) {
      finished = true;
      controller = null;
      return;
    }
    timer = setTimeout(() => void step(own), woken ? 0 : outcome.nextDelayMs);
  };

  return {
    get running() {
      return controller !== null;
    },
    run(delayMs) {
      if (controller !== null || finished) return;
      const own = new AbortController();
      controller = own;
      timer = setTimeout(() => void step(own), delayMs);
    },
    wake() {
      if (controller === null) return;
      if (stepping) {
        woken = true;
        return;
      }
      const own = controller;
      clearTimeout(timer);
      timer = setTimeout(() => void step(own), 0);
    },
    stop() {
      clearTimeout(timer);
      controller?.abort();
      controller = null;
      stepping = false;
    },
    seen(message) {
      last = message;
    },
  };
}

/** KEYS[1] lease; ARGV owner, ms. Extends the lease only while this owner holds it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** KEYS[1] lease; ARGV owner. Deletes the lease only while this owner holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
