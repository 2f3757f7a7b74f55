import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * The gateway's connection to the Redis its replicas share (`REDIS_URL`), and the one place that
 * decides whether Redis is usable right now.
 *
 * Redis is an optimisation, never a dependency: every user of this connection has a per-process
 * way to do its job, and takes it whenever `call` fails. So commands fail fast instead of waiting:
 * no offline queue (a command sent while disconnected fails at once), a short command timeout, and
 * after any failure Redis is skipped for `RETRY_AFTER_FAILURE_MS` (one request pays the timeout of
 * a slow Redis, not every request). ioredis reconnects by itself, forever, with a capped backoff;
 * sharing resumes on the first command that succeeds after that.
 */
export interface RedisConnection {
  /** `up`: connected and answering; `degraded`: disconnected, or a command failed lately. */
  state(): RedisState;
  /**
   * Runs `command` on the shared client, or throws `RedisUnavailable` at once while degraded. Any
   * failure (timeout, connection lost, a script error) marks Redis degraded for a moment.
   */
  call<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  /** A script run by its SHA (EVALSHA, loaded on first use), through `call`. */
  script(name: string, lua: string, keys: number): (keys: string[], args: (string | number)[]) => Promise<unknown>;
  /** The second connection pub/sub needs (a subscribed connection runs no other command); made on first use. */
  subscriber(): Redis;
  /** Prefix of every key and channel (`REDIS_KEY_PREFIX`). */
  readonly prefix: string;
  close(): Promise<void>;
}

export type RedisState = 'up' | 'degraded';

export interface RedisConnectionOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  logger: Logger;
  /** Told when the state changes (the `/metrics` gauge). */
  onStateChange?: (state: RedisState) => void;
}

/** Thrown by `call` while Redis is degraded: the caller takes its per-process way. */
export class RedisUnavailable extends Error {
  override name = 'RedisUnavailable';
}

/**
 * ioredis, loaded on the first connection: a gateway without `REDIS_URL` never loads it (about
 * 8 MB of resident memory, measured with `/proc/<pid>/status` after start-up).
 */
let redisClass: typeof Redis | undefined;
function loadRedis(): typeof Redis {
  redisClass ??= (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
  return redisClass;
}

/** After a failed command, Redis is left alone this long (then the next command probes it). */
export const RETRY_AFTER_FAILURE_MS = 1_000;
/** Longest wait between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1_000;

export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const { logger, commandTimeoutMs } = options;
  const clientOptions = {
    // Commands never queue while disconnected: they fail, and the caller goes per-process.
    enableOfflineQueue: false,
    // The real bound is `withTimeout` below; this one only ends commands on a hung connection.
    commandTimeout: Math.max(1_000, 5 * commandTimeoutMs),
    connectTimeout: Math.max(1_000, commandTimeoutMs),
    maxRetriesPerRequest: 0,
    // Reconnect forever, quickly: sharing should resume soon after Redis is back.
    retryStrategy: (times: number) => Math.min(MAX_RECONNECT_DELAY_MS, 50 * times),
    // No INFO round trip before "ready" is needed; a fresh connection answers at once.
    enableReadyCheck: false,
    lazyConnect: false,
  };
  const client = new (loadRedis())(options.url, { ...clientOptions, connectionName: 'fine-tunes-gateway' });
  let sub: Redis | null = null;
  let failedAt = Number.NEGATIVE_INFINITY;
  let reported: RedisState | null = null;
  let closed = false;
  const defined = new Set<string>();

  const state = (): RedisState => (client.status === 'ready' && performance.now() - failedAt >= RETRY_AFTER_FAILURE_MS ? 'up' : 'degraded');
  const report = (): void => {
    const now = state();
    if (now === reported) return;
    const was = reported;
    reported = now;
    options.onStateChange?.(now);
    if (was === null && now === 'degraded') return; // still connecting at start: not news
    if (now === 'up') logger.info({ redis: 'up' }, 'redis: sharing with the other replicas');
    else logger.warn({ redis: 'degraded' }, 'redis: unavailable; serving on per-process behaviour');
  };
  report();
  // The state moves with the connection too, not only with commands.
  client.on('ready', () => {
    failedAt = Number.NEGATIVE_INFINITY;
    report();
  });
  client.on('close', report);
  // ioredis emits every connection error; without a listener Node would print them. The state says enough.
  client.on('error', (error: Error) => logger.debug({ err: error }, 'redis connection error'));
  // Leaving the degraded window has no event of its own.
  const tick = setInterval(report, RETRY_AFTER_FAILURE_MS / 2);
  tick.unref();

  const call = async <T>(command: (redis: Redis) => Promise<T>): Promise<T> => {
    if (closed || state() !== 'up') throw new RedisUnavailable('Redis is unavailable');
    try {
      return await withTimeout(command(client), commandTimeoutMs);
    } catch (error) {
      failedAt = performance.now();
      report();
      logger.debug({ err: error }, 'redis command failed');
      throw error;
    }
  };

  return {
    prefix: options.keyPrefix,
    state,
    call,
    script(name, lua, numberOfKeys) {
      if (!defined.has(name)) {
        client.defineCommand(name, { lua, numberOfKeys });
        defined.add(name);
      }
      return (keys, args) =>
        call((redis) => (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...keys, ...args));
    },
    subscriber() {
      if (sub === null) {
        // Subscriptions are re-made by ioredis after a reconnect (autoResubscribe); the offline
        // queue is on here, kept across reconnections, so a SUBSCRIBE sent while disconnected is
        // sent once connected. Publishing goes through the main connection.
        sub = new (loadRedis())(options.url, {
          ...clientOptions,
          enableOfflineQueue: true,
          maxRetriesPerRequest: null,
          commandTimeout: undefined,
          connectionName: 'fine-tunes-gateway-sub',
        });
        sub.on('error', (error: Error) => logger.debug({ err: error }, 'redis subscriber connection error'));
      }
      return sub;
    },
    async close() {
      closed = true;
      clearInterval(tick);
      await Promise.all([client, sub].map((redis) => (redis === null ? undefined : quit(redis))));
    },
  };
}

/**
 * Rejects when `promise` has not settled within `ms`. When the timer fires, the decision waits for
 * the I/O phase of the event loop (setImmediate): a busy event loop runs timers before reading
 * sockets, so a reply that arrived in time but was not read yet (the process was busy, not Redis)
 * still counts as in time.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new RedisUnavailable(`Redis did not answer within ${ms} ms`));
      });
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}

/** QUIT when connected (it flushes what was sent), else just drop the connection attempt. */
async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through
    }
  }
  redis.disconnect();
}
