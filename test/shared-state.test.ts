import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { loadConfig } from '../src/config.js';
import { type RedisConnection, createRedisConnection } from '../src/redis/connection.js';
import { createMemoryStore, createRedisStore, withLocalFallback } from '../src/redis/store.js';
import { type RedisServer, freePort, startRedisServer } from './support/redis-server.js';
import { NO_CACHE, startStack } from './support/stack.js';

/**
 * The pieces under the scale-out features, on a real redis-server: the shared store (the interface
 * persisted queries and idempotency keys are meant to use), and one gateway process facing a Redis
 * that is missing, or hangs. The fleet itself is test/scale-out.test.ts.
 */

let redis: RedisServer;
const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));
const connections: RedisConnection[] = [];

function connect(prefix = 'test:'): RedisConnection {
  const connection = createRedisConnection({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 200, logger });
  connections.push(connection);
  return connection;
}

async function up(connection: RedisConnection): Promise<void> {
  for (let i = 0; i < 200 && connection.state() !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(connection.state()).toBe('up');
}

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await redis?.close();
});

describe('the shared store', () => {
  it('keeps its bound and expiry in Redis, whatever the writers', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([up(a), up(b)]);
    const stores = [createRedisStore(a, 'bounded', { maxEntries: 5 }), createRedisStore(b, 'bounded', { maxEntries: 5 })];
    for (let i = 0; i < 12; i++) await stores[i % 2]!.set(`k${i}`, `v${i}`, 60_000);
    const client = redis.client();
    const keys = (await client.keys('test:bounded:*')).filter((key) => !key.endsWith('~index'));
    expect(keys).toHaveLength(5);
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(50_000);
    expect(await stores[0]!.get('k11')).toBe('v11');
    expect(await stores[1]!.get('k0')).toBeNull();
    await stores[1]!.delete('k11');
    expect(await stores[0]!.get('k11')).toBeNull();
  });

  it('setIfAbsent is atomic across replicas: one winner of twenty racing writers', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([up(a), up(b)]);
    const stores = [createRedisStore(a, 'once', { maxEntries: 100 }), createRedisStore(b, 'once', { maxEntries: 100 })];
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.setIfAbsent('key', `writer-${i}`, 60_000)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await stores[1]!.get('key')).toBe(`writer-${wins.indexOf(true)}`);
  });

  it('falls back to the process’s memory while Redis is away, and says so', async () => {
    const connection = connect();
    await up(connection);
    let fallbacks = 0;
    const store = withLocalFallback(createRedisStore(connection, 'fb', { maxEntries: 10 }), createMemoryStore({ maxEntries: 10 }), () => {
      fallbacks += 1;
    });
    await store.set('shared', 'yes', 60_000);
    await redis.stop();
    try {
      for (let i = 0; i < 100 && connection.state() === 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(connection.state()).toBe('degraded');
      const started = performance.now();
      expect(await store.setIfAbsent('local', 'one', 60_000)).toBe(true);
      expect(await store.setIfAbsent('local', 'two', 60_000)).toBe(false);
      expect(await store.get('local')).toBe('one');
      // Redis being away costs no waiting: commands fail at once (no offline queue).
      expect(performance.now() - started).toBeLessThan(100);
      expect(fallbacks).toBe(3);
    } finally {
      await redis.start();
    }
    await up(connection);
  });
});

describe('one gateway and a Redis that is missing or hangs', () => {
  const query = parse('{ fineTunes(page: { size: 2 }) { __typename ... on JobConnection { totalCount } } }') as TypedDocumentNode<
    { fineTunes: unknown },
    Record<string, never>
  >;

  it('serves per process when nothing listens at REDIS_URL: /ready 200, degraded in its body and /metrics', async () => {
    const port = await freePort();
    const stack = await startStack({ env: { ...NO_CACHE, REDIS_URL: `redis://127.0.0.1:${port}/0`, DASHSCOPE_MAX_RPS: '50' } });
    try {
      const result = await stack.query(query);
      expect(result.data?.fineTunes).toMatchObject({ __typename: 'JobConnection' });
      const ready = await fetch(`${stack.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true, redis: 'degraded' });
      const metrics = await stack.scrape();
      expect(metrics).toContain('gateway_redis_state{state="degraded"} 1');
      expect(metrics).toMatch(/gateway_redis_fallbacks_total\{feature="rate-budget"\} [1-9]/);
    } finally {
      await stack.close();
    }
  });

  it('answers within the deadline while Redis hangs (SIGSTOP), and shares again once it answers', async () => {
    const stack = await startStack({ env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '200', DASHSCOPE_MAX_RPS: '50' } });
    try {
      for (let i = 0; i < 200 && stack.gateway.health().redis !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stack.gateway.health().redis).toBe('up');
      redis.pause();
      try {
        const started = performance.now();
        const results = await Promise.all(Array.from({ length: 5 }, () => stack.query(query)));
        for (const result of results) expect(result.data?.fineTunes).toMatchObject({ __typename: 'JobConnection' });
        // One command timeout (200 ms), then Redis is skipped: nowhere near the 10 s deadline.
        expect(performance.now() - started).toBeLessThan(2_000);
        expect(stack.gateway.health()).toMatchObject({ ready: true, redis: 'degraded' });
      } finally {
        redis.resume();
      }
      for (let i = 0; i < 300 && stack.gateway.health().redis !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stack.gateway.health().redis).toBe('up');
    } finally {
      await stack.close();
    }
  });

  it('holds the same budget per process without Redis: DASHSCOPE_MAX_RPS calls in any second', async () => {
    const stack = await startStack({ env: { ...NO_CACHE, DASHSCOPE_MAX_RPS: '5' } });
    try {
      const pages = Array.from({ length: 10 }, (_, i) =>
        stack.raw({ query: `{ fineTunes(page: { number: ${i + 1}, size: 1 }) { __typename } }` }),
      );
      const results = await Promise.all(pages);
      for (const result of results) expect(result.body.data.fineTunes.__typename).toBe('JobConnection');
      const times = stack.sim.calls.map((call) => call.at).sort((x, y) => x - y);
      expect(times).toHaveLength(10);
      // 10 calls at 5 per second: spread over about 2 s; in any second (less 100 ms of jitter allowance) at most 5.
      expect(times.at(-1)! - times[0]!).toBeGreaterThan(1_500);
      for (const start of times) expect(times.filter((t) => t >= start && t < start + 900).length).toBeLessThanOrEqual(5);
    } finally {
      await stack.close();
    }
  });
});
