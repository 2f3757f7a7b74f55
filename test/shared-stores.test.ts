import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdempotencyEntry, createSharedIdempotencyStore } from '../src/actions/idempotency-store.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RedisConnection, createRedisConnection } from '../src/redis/connection.js';
import { createRedisStore } from '../src/redis/store.js';
import { createDemoJobs } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { type Replica, startReplica } from './support/fleet.js';
import { type RedisServer, freePort, startRedisServer } from './support/redis-server.js';
import { startStack } from './support/stack.js';

/**
 * The two stores replicas share through Redis besides the job cache (test/scale-out.test.ts): the
 * automatic-persisted-query texts and `createFineTune`'s idempotency keys. Two real replicas
 * (`src/main.ts`), addressed directly so each request reaches the replica it names, one real
 * redis-server and one simulator counting upstream calls.
 */

const TIMEOUT_MS = 2_000;
const KEYS = ['sk-apq', 'sk-idem'] as const;
type Key = (typeof KEYS)[number];

let sim: Simulator;
let redis: RedisServer;
let replicas: Replica[] = [];

beforeAll(async () => {
  sim = await startSimulator({ tenants: Object.fromEntries(KEYS.map((key) => [key, createDemoJobs()])) });
  redis = await startRedisServer();
  replicas = await Promise.all(
    [0, 1].map(() =>
      startReplica({
        DASHSCOPE_BASE_URL: sim.origin,
        DASHSCOPE_FORWARD_AUTH: 'true',
        REDIS_URL: redis.url,
        DASHSCOPE_TIMEOUT_MS: String(TIMEOUT_MS),
        SHUTDOWN_DRAIN_MS: '0',
      }),
    ),
  );
  for (const replica of replicas) {
    for (let i = 0; i < 200; i++) {
      const body = (await (await fetch(`${replica.url}/ready`)).json()) as { redis: string };
      if (body.redis === 'up') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.kill()));
  await redis?.close();
  await sim?.close();
});

interface Body {
  data?: Record<string, any> | null;
  errors?: { message: string }[];
}

async function post(origin: string, key: Key, payload: Record<string, unknown>): Promise<Body> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(payload),
  });
  return (await response.json()) as Body;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function redisHolds(text: RegExp): Promise<boolean> {
  const client = redis.client();
  for (const key of await client.keys('*')) {
    if (text.test(key)) return true;
    if ((await client.type(key)) === 'string' && text.test((await client.get(key)) ?? '')) return true;
  }
  return false;
}

describe('automatic persisted queries across replicas', () => {
  it('a text registered on one replica runs by hash on the other in one round trip', async () => {
    const [a, b] = replicas;
    const text = '{ fineTunes(page: { size: 3 }) { __typename ... on JobConnection { totalCount } } }';
    const persistedQuery = { version: 1, sha256Hash: sha256(text) };

    // Replica A: Apollo's link sends the hash alone, hears PersistedQueryNotFound, sends text and hash.
    expect((await post(a!.url, 'sk-apq', { extensions: { persistedQuery } })).errors?.[0]?.message).toBe('PersistedQueryNotFound');
    const registered = await post(a!.url, 'sk-apq', { query: text, extensions: { persistedQuery } });
    expect(registered.errors).toBeUndefined();
    expect(registered.data?.fineTunes.__typename).toBe('JobConnection');

    // Replica B never saw the text: the hash alone runs it, one round trip.
    let roundTrips = 0;
    const byHash = await post(b!.url, 'sk-apq', { extensions: { persistedQuery } });
    roundTrips += 1;
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual(registered.data);
    console.log(`APQ: a text registered on replica A runs on replica B by hash in ${roundTrips} round trip`);

    // A hash nobody registered is still unknown everywhere (what B found came from A's registration).
    const other = '{ fineTunes(page: { size: 4 }) { __typename } }';
    for (const replica of replicas) {
      const unknown = await post(replica.url, 'sk-apq', { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(other) } } });
      expect(unknown.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    }

    // Stored under its hash with an expiry (GRAPHQL_APQ_MAX_ENTRIES bounds the count).
    const client = redis.client();
    const [stored] = await client.keys(`*apq:${persistedQuery.sha256Hash}`);
    expect(stored).toBeDefined();
    expect(await client.get(stored!)).toBe(text);
    expect(await client.pttl(stored!)).toBeGreaterThan(23 * 3600_000);
  });

  it('a text under a hash that is not its own never runs', async () => {
    const text = '{ fineTunes(page: { size: 5 }) { __typename } }';
    const hash = sha256('{ __typename }');
    const client = redis.client();
    const [anyApq] = await client.keys('*apq:*');
    const prefix = anyApq!.slice(0, anyApq!.lastIndexOf(':') + 1);
    await client.set(`${prefix}${hash}`, text, 'PX', 60_000);
    const answer = await post(replicas[1]!.url, 'sk-apq', { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(answer.errors?.[0]?.message).toBe('PersistedQueryNotFound');
  });
});

describe('createFineTune idempotency keys across replicas', () => {
  const mutation =
    'mutation ($input: CreateFineTuneInput!) { createFineTune(input: $input) { __typename ... on FineTuneJob { id status } ... on Error { message code } } }';
  const input = {
    model: 'qwen3-14b',
    trainingFileIds: ['86a9fe7f-dd77-43b0-9834-2170e12339ec'],
    trainingType: 'sft',
    hyperParameters: { n_epochs: 3 },
    idempotencyKey: 'scale-out-create-1',
  };
  const creates = (since = 0): number =>
    sim.calls.filter((call, index) => index >= since && call.apiKey === 'sk-idem' && call.endpoint === 'createJob').length;

  it('two concurrent creates with one key on two replicas make one upstream create and answer the same job', async () => {
    const [a, b] = replicas;
    // Held back, so the other replica's request arrives while the create is on its way.
    sim.inject({ endpoint: 'createJob', action: { kind: 'delay', ms: 500 }, times: 1 });
    const [first, second] = await Promise.all([
      post(a!.url, 'sk-idem', { query: mutation, variables: { input } }),
      post(b!.url, 'sk-idem', { query: mutation, variables: { input } }),
    ]);
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(first.data?.createFineTune.__typename).toBe('FineTuneJob');
    expect(second.data?.createFineTune.id).toBe(first.data?.createFineTune.id);
    const id = first.data!.createFineTune.id as string;
    expect(creates()).toBe(1);
    console.log(`idempotency: 2 concurrent creates with one key on 2 replicas -> ${creates()} upstream create`);

    // Later, on either replica: the same job, no create.
    for (const replica of [a!, b!, a!]) {
      const again = await post(replica.url, 'sk-idem', { query: mutation, variables: { input } });
      expect(again.data?.createFineTune).toMatchObject({ __typename: 'FineTuneJob', id });
    }
    expect(creates()).toBe(1);

    // Another input with the key is refused on the replica that did not create.
    const reused = await post(b!.url, 'sk-idem', { query: mutation, variables: { input: { ...input, model: 'qwen3-8b' } } });
    expect(reused.data?.createFineTune).toMatchObject({ __typename: 'ConflictError', code: 'IdempotencyKeyReused' });
    expect(creates()).toBe(1);

    // Redis holds digests: neither the idempotency key nor the credential.
    expect(await redisHolds(/scale-out-create|sk-idem/)).toBe(false);
  });
});

describe('the shared idempotency store on Redis', () => {
  const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));
  const connections: RedisConnection[] = [];
  const entry = (jobId: string): IdempotencyEntry => ({ fingerprint: 'f', outcome: { kind: 'job', jobId } });

  async function replicaStore(pendingTtlMs: number) {
    const connection = createRedisConnection({ url: redis.url, keyPrefix: 'unit:', commandTimeoutMs: 500, logger });
    connections.push(connection);
    for (let i = 0; i < 200 && connection.state() !== 'up'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(connection.state()).toBe('up');
    return createSharedIdempotencyStore({
      done: createRedisStore(connection, 'idem', { maxEntries: 100 }),
      pending: createRedisStore(connection, 'idem-claim', { maxEntries: 100 }),
      pendingTtlMs,
      pollMs: 20,
    });
  }

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
  });

  it('a waiter on another replica gets the outcome; a released key is free again', async () => {
    const [a, b] = [await replicaStore(5_000), await replicaStore(5_000)];
    expect(await a.claim('k1', 'f')).toEqual({ state: 'claimed' });
    const busy = await b.claim('k1', 'f');
    if (busy.state !== 'busy') throw new Error(`expected busy, got ${busy.state}`);
    expect(busy.fingerprint).toBe('f');
    await a.complete('k1', entry('ft-1'));
    expect(await busy.settled).toEqual(entry('ft-1'));
    expect(await b.claim('k1', 'f')).toEqual({ state: 'done', entry: entry('ft-1') });

    expect(await a.claim('k2', 'f')).toEqual({ state: 'claimed' });
    const waiting = await b.claim('k2', 'f');
    await a.release('k2');
    expect(waiting.state === 'busy' && (await waiting.settled)).toBeNull();
    expect(await b.claim('k2', 'f')).toEqual({ state: 'claimed' });
  });

  it('a claimer that dies leaves a marker that expires: the key can be claimed again', async () => {
    const [dead, alive] = [await replicaStore(300), await replicaStore(300)];
    expect(await dead.claim('k3', 'f')).toEqual({ state: 'claimed' });
    const waiting = await alive.claim('k3', 'f');
    expect(waiting.state === 'busy' && (await waiting.settled)).toBeNull();
    expect(await alive.claim('k3', 'f')).toEqual({ state: 'claimed' });
    // The dead claimer's late release leaves the new claim alone.
    await dead.release('k3');
    expect((await dead.claim('k3', 'f')).state).toBe('busy');
  });
});

describe('with Redis unreachable', () => {
  it('APQ and idempotency keys work per process, and /metrics counts the fallbacks', async () => {
    const port = await freePort();
    const stack = await startStack({ env: { REDIS_URL: `redis://127.0.0.1:${port}/0` } });
    try {
      const text = '{ fineTunes(page: { size: 2 }) { __typename } }';
      const persistedQuery = { version: 1, sha256Hash: sha256(text) };
      expect((await stack.raw({ query: text, extensions: { persistedQuery } })).body.data).toEqual({
        fineTunes: { __typename: 'JobConnection' },
      });
      expect((await stack.raw({ extensions: { persistedQuery } })).body.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });

      const mutation = 'mutation ($input: CreateFineTuneInput!) { createFineTune(input: $input) { __typename ... on FineTuneJob { id } } }';
      const input = { model: 'qwen3-14b', trainingFileIds: ['f-1'], trainingType: 'sft', idempotencyKey: 'down-1' };
      const since = stack.sim.calls.length;
      const [one, two] = await Promise.all([
        stack.raw({ query: mutation, variables: { input } }),
        stack.raw({ query: mutation, variables: { input } }),
      ]);
      expect(one.body.data?.createFineTune.__typename).toBe('FineTuneJob');
      expect(two.body.data?.createFineTune.id).toBe(one.body.data?.createFineTune.id);
      expect(stack.sim.count('createJob', since)).toBe(1);

      const metrics = await stack.scrape();
      expect(metrics).toMatch(/gateway_redis_fallbacks_total\{feature="apq"\} [1-9]/);
      expect(metrics).toMatch(/gateway_redis_fallbacks_total\{feature="idempotency"\} [1-9]/);
    } finally {
      await stack.close();
    }
  });
});
