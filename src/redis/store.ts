import { LRUCache } from 'lru-cache';
import type { RedisConnection } from './connection.js';

/**
 * A small async key-value store with expiry: what a feature needs to share short-lived state
 * between replicas (finished jobs now; persisted queries and idempotency keys are meant to plug in
 * the same way). Values are strings (the feature serialises); keys are the feature's own, and must
 * never hold a secret (derive them from `UpstreamCredential.scope`, a digest).
 *
 * Three implementations: in-process (`createMemoryStore`), Redis (`createRedisStore`, which throws
 * when Redis fails) and the two together (`withLocalFallback`: Redis while it answers, the process's
 * own memory while it does not), which is what a feature normally uses.
 */
export interface SharedStore {
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlMs` (> 0), replacing any value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores `value` only when `key` holds nothing (atomic across replicas); true when it did. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export interface StoreBounds {
  /** Most entries kept; past it the entries closest to expiry go first. */
  maxEntries: number;
}

/** In-process: bounded, least recently used dropped first. */
export function createMemoryStore(bounds: StoreBounds): SharedStore {
  const cache = new LRUCache<string, string>({ max: Math.max(1, bounds.maxEntries), ttlAutopurge: false });
  return {
    get: async (key) => cache.get(key) ?? null,
    set: async (key, value, ttlMs) => void cache.set(key, value, { ttl: ttlMs }),
    setIfAbsent: async (key, value, ttlMs) => {
      if (cache.has(key)) return false;
      cache.set(key, value, { ttl: ttlMs });
      return true;
    },
    delete: async (key) => void cache.delete(key),
  };
}

/**
 * A store in Redis under `<REDIS_KEY_PREFIX><namespace>:`. Each entry is a string key with a PX
 * expiry; the bound is kept by an index (a sorted set of keys by expiry time) updated in the same
 * script as the write, so the entries never outnumber `maxEntries` whatever the replicas do.
 * Every method rejects when Redis is unavailable or fails.
 */
export function createRedisStore(connection: RedisConnection, namespace: string, bounds: StoreBounds): SharedStore {
  const base = `${connection.prefix}${namespace}:`;
  const index = `${base}~index`;
  const boundedSet = connection.script('ftgwBoundedSet', BOUNDED_SET, 2);
  const write = async (key: string, value: string, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean> =>
    (await boundedSet([base + key, index], [value, Math.max(1, Math.round(ttlMs)), bounds.maxEntries, onlyIfAbsent ? 1 : 0])) === 1;
  return {
    get: (key) => connection.call((redis) => redis.get(base + key)),
    set: async (key, value, ttlMs) => void (await write(key, value, ttlMs, false)),
    setIfAbsent: (key, value, ttlMs) => write(key, value, ttlMs, true),
    delete: async (key) => {
      await connection.call((redis) =>
        redis
          .multi()
          .del(base + key)
          .zrem(index, base + key)
          .exec(),
      );
    },
  };
}

/**
 * Redis while it answers, the local store while it does not: a failed read is a miss, a failed
 * write is kept locally only (per-process behaviour). `onFallback` counts each (the metrics).
 */
export function withLocalFallback(shared: SharedStore, local: SharedStore, onFallback?: () => void): SharedStore {
  const fallback = async <T>(sharedCall: () => Promise<T>, localCall: () => Promise<T>): Promise<T> => {
    try {
      return await sharedCall();
    } catch {
      onFallback?.();
      return localCall();
    }
  };
  return {
    get: (key) =>
      fallback(
        () => shared.get(key),
        () => local.get(key),
      ),
    set: (key, value, ttlMs) =>
      fallback(
        () => shared.set(key, value, ttlMs),
        () => local.set(key, value, ttlMs),
      ),
    setIfAbsent: (key, value, ttlMs) =>
      fallback(
        () => shared.setIfAbsent(key, value, ttlMs),
        () => local.setIfAbsent(key, value, ttlMs),
      ),
    delete: (key) =>
      fallback(
        () => shared.delete(key),
        () => local.delete(key),
      ),
  };
}

/**
 * KEYS[1] entry, KEYS[2] index; ARGV value, ttl ms, bound, only-if-absent. Redis's own clock
 * (TIME) dates the entries, so replicas' clocks never disagree about expiry.
 */
const BOUNDED_SET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ok
if ARGV[4] == '1' then
  ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')
else
  ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if not ok then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return 1
`;
