import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoJobs, upstreamTime } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { type Fleet, startFleet, startReplica } from './support/fleet.js';
import { type RedisServer, startRedisServer } from './support/redis-server.js';
import { subscribe } from './support/sse.js';

/**
 * Two gateway replicas (real processes) behind a real HAProxy, sharing one real redis-server and
 * one simulator, which counts what reaches the upstream. Forwarding mode: each test uses its own
 * key (its own tenant at the simulator), so the budget, the cache and the pollers of one test never
 * touch another's. The tests run in order; the last one kills a replica.
 */

const INTERVAL_MS = 300;
const LEASE_MS = 900;
const MAX_RPS = 10;
const TIMEOUT_MS = 2_000;

const KEYS = ['sk-cache', 'sk-poll', 'sk-logs', 'sk-logs-alone', 'sk-logs-move', 'sk-burst', 'sk-hold', 'sk-load', 'sk-fail'] as const;
type Key = (typeof KEYS)[number];

let sim: Simulator;
let redis: RedisServer;
let fleet: Fleet;

const jobs = createDemoJobs();
const finished = jobs.filter((job) => job.status === 'SUCCEEDED' || job.status === 'FAILED').map((job) => job.job_id);
const running = jobs.filter((job) => job.status === 'RUNNING').map((job) => job.job_id);

beforeAll(async () => {
  sim = await startSimulator({ tenants: Object.fromEntries(KEYS.map((key) => [key, createDemoJobs()])) });
  redis = await startRedisServer();
  fleet = await startFleet(2, replicaEnv(true));
}, 60_000);

/** The replicas' settings: with Redis (the fleet), or without (each replica on its own). */
const replicaEnv = (withRedis: boolean): Record<string, string> => ({
  DASHSCOPE_BASE_URL: sim.origin,
  DASHSCOPE_FORWARD_AUTH: 'true',
  ...(withRedis ? { REDIS_URL: redis.url } : {}),
  DASHSCOPE_MAX_RPS: String(MAX_RPS),
  DASHSCOPE_TIMEOUT_MS: String(TIMEOUT_MS),
  DASHSCOPE_POLL_INTERVAL_MS: String(INTERVAL_MS),
  DASHSCOPE_POLL_LEASE_MS: String(LEASE_MS),
  SHUTDOWN_DRAIN_MS: '0',
});

afterAll(async () => {
  await fleet?.close();
  await redis?.close();
  await sim?.close();
});

interface Body {
  data?: Record<string, any> | null;
  errors?: unknown[];
}

async function post(origin: string, key: Key, query: string): Promise<{ status: number; body: Body; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as Body, ms: performance.now() - started };
}

const jobsQuery = (ids: string[]): string =>
  `{ ${ids.map((id, i) => `j${i}: fineTune(id: "${id}") { __typename ... on FineTuneJob { id status } }`).join(' ')} }`;
const pageQuery = (page: number): string =>
  `{ fineTunes(page: { number: ${page}, size: 1 }) { __typename ... on JobConnection { totalCount } ... on ThrottlingError { code retryAfter } } }`;

const calls = (key: Key, endpoint: 'getJob' | 'listJobs', jobId?: string, since = 0): number =>
  sim.calls.filter(
    (call, index) => index >= since && call.apiKey === key && call.endpoint === endpoint && (jobId === undefined || call.jobId === jobId),
  ).length;

async function ready(origin: string): Promise<{ status: number; redis: string }> {
  const response = await fetch(`${origin}/ready`);
  const body = (await response.json()) as { redis: string };
  return { status: response.status, redis: body.redis };
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return performance.now() - started;
}

const statusSubscription = parse('subscription ($id: ID!) { fineTuneStatus(id: $id) { __typename ... on FineTuneJob { id status } } }');

async function watch(origin: string, key: Key, id: string) {
  return subscribe<any, { id: string }>(`${origin}/graphql`, statusSubscription, { id }, { headers: { authorization: `Bearer ${key}` } });
}

async function upstreamGets(origin: string, endpoint: 'getJob' | 'getJobLogs' = 'getJob'): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('gateway_upstream_requests_total{') && line.includes(`endpoint="${endpoint}"`))
      total += Number(line.split(' ').pop());
  }
  return total;
}

const logSubscription = parse('subscription ($id: ID!) { fineTuneLogs(id: $id) { offset text } }');

async function tailLogs(origin: string, key: Key, id: string) {
  return subscribe<any, { id: string }>(`${origin}/graphql`, logSubscription, { id }, { headers: { authorization: `Bearer ${key}` } });
}

type Tail = Awaited<ReturnType<typeof tailLogs>>;

/** The next `count` lines of a tail (failing on an error or an early end). */
async function readLines(tail: Tail, count: number): Promise<{ offset: number; text: string }[]> {
  const read: { offset: number; text: string }[] = [];
  while (read.length < count) {
    const result = await tail.next(5_000);
    if (result === null) throw new Error(`the tail ended after ${read.length} of ${count} lines`);
    expect(result.errors).toBeUndefined();
    read.push(result.data.fineTuneLogs);
  }
  return read;
}

const logLines = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `step ${from + i} loss 0.${from + i}`);
const expectedLines = (count: number) => logLines(0, count).map((text, offset) => ({ offset, text }));

/** The upstream log reads for `key` since call `since`, as the simulator saw them. */
const logReads = (key: Key, since: number) =>
  sim.calls.slice(since).filter((call) => call.apiKey === key && call.endpoint === 'getJobLogs');

/**
 * Two subscribers on each of `origins` tail one running job while it writes 3 lines every 150 ms
 * for 2.4 s, then ends. Returns the upstream log reads during those 2.4 s; checks that every
 * subscriber got every line once, in order, and completed.
 */
async function tailRunningJob(origins: string[], key: Key): Promise<{ reads: number; perInterval: number }> {
  const id = running[0]!;
  let written = 1_200;
  sim.appendLogs(id, logLines(0, written), key);
  const tails = await Promise.all(origins.flatMap((origin) => [tailLogs(origin, key, id), tailLogs(origin, key, id)]));
  const received = await Promise.all(tails.map((tail) => readLines(tail, written)));

  const since = sim.calls.length;
  const started = performance.now();
  while (performance.now() - started < 2_400) {
    sim.appendLogs(id, logLines(written, written + 3), key);
    written += 3;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const reads = logReads(key, since).length;
  const perInterval = (performance.now() - started) / INTERVAL_MS;

  sim.appendLogs(id, logLines(written, written + 1), key);
  written += 1;
  sim.updateJob(id, { status: 'SUCCEEDED', end_time: upstreamTime(Date.now()) }, key);
  await Promise.all(
    tails.map(async (tail, index) => {
      received[index]!.push(...(await readLines(tail, written - received[index]!.length)));
      expect(await tail.next(5_000)).toBeNull();
    }),
  );
  for (const lines of received) expect(lines).toEqual(expectedLines(written));
  return { reads, perInterval };
}

describe('replicas sharing one Redis behind HAProxy', () => {
  it('every replica says Redis is up, in /ready and /metrics', async () => {
    for (const replica of fleet.replicas) {
      await until(async () => (await ready(replica.url)).redis === 'up', 5_000, 'redis up');
      const metrics = await (await fetch(`${replica.url}/metrics`)).text();
      expect(metrics).toContain('gateway_redis_state{state="up"} 1');
      expect(metrics).toContain('gateway_redis_state{state="degraded"} 0');
    }
  });

  it('shares the finished-job cache: a job fetched by one replica costs the others nothing', async () => {
    const ids = finished.slice(0, 8);
    const [a, b] = fleet.replicas;
    const first = await post(a!.url, 'sk-cache', jobsQuery(ids));
    expect(first.body.errors).toBeUndefined();
    expect(Object.values(first.body.data!).map((job) => job.id)).toEqual(ids);
    expect(calls('sk-cache', 'getJob')).toBe(ids.length);

    const second = await post(b!.url, 'sk-cache', jobsQuery(ids));
    expect(second.body).toEqual(first.body);
    for (let i = 0; i < 4; i++) expect((await post(fleet.lb.url, 'sk-cache', jobsQuery(ids))).body).toEqual(first.body);
    // 8 upstream calls for 6 reads of 8 jobs over 2 replicas; without Redis the second replica pays 8 more.
    expect(calls('sk-cache', 'getJob')).toBe(ids.length);

    // Another key never sees those entries: its own calls, its own entries.
    await post(b!.url, 'sk-poll', jobsQuery(ids.slice(0, 2)));
    expect(calls('sk-poll', 'getJob')).toBe(2);

    // What Redis holds never names a key: digests only, in keys and values.
    const client = redis.client();
    const keys = await client.keys('*');
    expect(keys.length).toBeGreaterThan(ids.length);
    for (const key of keys) {
      expect(key).not.toMatch(/sk-/);
      if ((await client.type(key)) === 'string') expect(await client.get(key)).not.toMatch(/sk-(cache|poll)/);
    }
  });

  it('polls a watched job once for the whole fleet, and every replica’s subscribers get each change', async () => {
    const id = running[0]!;
    const [a, b] = fleet.replicas;
    const since = sim.calls.length;
    const watchers = [await watch(a!.url, 'sk-poll', id), await watch(b!.url, 'sk-poll', id), await watch(fleet.lb.url, 'sk-poll', id)];
    for (const watcher of watchers)
      expect((await watcher.next(5_000))?.data?.fineTuneStatus).toEqual({ __typename: 'FineTuneJob', id, status: 'RUNNING' });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const polls = calls('sk-poll', 'getJob', id, since);
    const elapsed = performance.now() - started;
    // One poller for the fleet: about one poll per interval; a poller per replica would make twice
    // that. The bound sits halfway (a loaded machine stretches intervals, never shortens them).
    const perInterval = elapsed / INTERVAL_MS;
    console.log(`one job watched on 2 replicas for ${Math.round(elapsed)} ms at ${INTERVAL_MS} ms: ${polls} upstream polls`);
    expect(polls).toBeLessThan(1.5 * perInterval);
    expect(polls).toBeGreaterThanOrEqual(Math.floor(perInterval / 2));

    sim.updateJob(id, { status: 'SUCCEEDED', end_time: upstreamTime(Date.now()) }, 'sk-poll');
    for (const watcher of watchers) {
      expect((await watcher.next(5_000))?.data?.fineTuneStatus).toEqual({ __typename: 'FineTuneJob', id, status: 'SUCCEEDED' });
      expect(await watcher.next(5_000)).toBeNull();
    }
  });

  it('tails a running job’s log with one upstream read per interval for the fleet; every subscriber on every replica gets each line once, in order', async () => {
    const [a, b] = fleet.replicas;
    // The same workload on two replicas without Redis (started meanwhile): each reads the log for itself.
    const starting = startFleet(2, replicaEnv(false));
    const fleetWide = await tailRunningJob([a!.url, b!.url], 'sk-logs').catch(async (error: unknown) => {
      await (await starting).close();
      throw error;
    });
    const alone = await starting;
    let apart: { reads: number; perInterval: number };
    try {
      apart = await tailRunningJob(
        alone.replicas.map((replica) => replica.url),
        'sk-logs-alone',
      );
    } finally {
      await alone.close();
    }
    console.log(
      `one job's log tailed by 2+2 subscribers on 2 replicas at ${INTERVAL_MS} ms: ${fleetWide.reads} upstream log reads in ${Math.round(fleetWide.perInterval)} intervals with Redis, ${apart.reads} in ${Math.round(apart.perInterval)} without`,
    );
    // One poller for the fleet: about one read per interval (bound halfway to a poller per replica).
    expect(fleetWide.reads).toBeLessThan(1.5 * fleetWide.perInterval);
    expect(fleetWide.reads).toBeGreaterThanOrEqual(Math.floor(fleetWide.perInterval / 2));
    expect(apart.reads).toBeGreaterThan(fleetWide.reads);
  }, 60_000);

  it('a log tail moves with its lease: the replica taking over goes on from the last line read, each line once', async () => {
    const id = running[0]!;
    const key: Key = 'sk-logs-move';
    const survivor = fleet.replicas[0]!;
    // A third replica, tailed first: it takes the lease, then dies.
    const doomed = await startReplica(replicaEnv(true));
    try {
      sim.appendLogs(id, logLines(0, 50), key);
      const first = await tailLogs(doomed.url, key, id);
      expect(await readLines(first, 50)).toEqual(expectedLines(50));
      const tail = await tailLogs(survivor.url, key, id);
      const received = await readLines(tail, 50);
      const before = await Promise.all([doomed, survivor].map((replica) => upstreamGets(replica.url, 'getJobLogs')));
      await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
      const after = await Promise.all([doomed, survivor].map((replica) => upstreamGets(replica.url, 'getJobLogs')));
      expect(after[0]! - before[0]!).toBeGreaterThan(0);
      expect(after[1]! - before[1]!).toBe(0);

      await doomed.kill();
      const since = sim.calls.length;
      sim.appendLogs(id, logLines(50, 60), key);
      received.push(...(await readLines(tail, 10)));
      // The survivor read on from line 50: nothing read twice.
      const offsets = logReads(key, since).map((call) => Number(new URL(call.url, sim.origin).searchParams.get('offset')));
      expect(offsets.length).toBeGreaterThan(0);
      expect(Math.min(...offsets)).toBe(50);
      sim.updateJob(id, { status: 'CANCELED', end_time: upstreamTime(Date.now()) }, key);
      expect(await tail.next(5_000)).toBeNull();
      expect(received).toEqual(expectedLines(60));
    } finally {
      await doomed.kill();
    }
  }, 30_000);

  it('holds a burst to DASHSCOPE_MAX_RPS summed over the replicas; the rest wait or get ThrottlingError with retryAfter', async () => {
    const since = sim.calls.length;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => post(fleet.lb.url, 'sk-burst', pageQuery(i + 1))));
    const served = results.filter((result) => result.body.data?.fineTunes.__typename === 'JobConnection');
    const throttled = results.filter((result) => result.body.data?.fineTunes.__typename === 'ThrottlingError');
    expect(results.filter((result) => !served.includes(result) && !throttled.includes(result)).map((result) => result.body)).toEqual([]);
    expect(throttled.length).toBeGreaterThan(0);
    for (const result of throttled) {
      expect(result.body.data!.fineTunes.code).toBe('Throttling.GatewayRateBudget');
      expect(result.body.data!.fineTunes.retryAfter).toBeGreaterThanOrEqual(1);
    }
    // Those that waited were sent: exactly one upstream call each, none for the refused.
    const sent = sim.calls.slice(since).filter((call) => call.apiKey === 'sk-burst');
    expect(sent.length).toBe(served.length);
    // At MAX_RPS over both replicas, for about one deadline (the requests' own arrivals spread a little).
    expect(served.length).toBeGreaterThanOrEqual(MAX_RPS);
    const times = sent.map((call) => call.at).sort((x, y) => x - y);
    // In any one-second window, at most MAX_RPS calls: measured as arrivals at the simulator, with a
    // 100 ms allowance for the event loops on the way (a replica sending a slot's call late, the
    // simulator reading it late) on a busy two-core machine.
    console.log(
      `burst of 40 at MAX_RPS=${MAX_RPS} over 2 replicas: ${served.length} served over ${times.at(-1)! - times[0]!} ms, ${throttled.length} ThrottlingError`,
    );
    for (let i = 0; i < times.length; i++)
      expect(times.filter((t) => t >= times[i]! && t < times[i]! + 900).length).toBeLessThanOrEqual(MAX_RPS);
  });

  it('a 429 with Retry-After seen by one replica holds every replica’s calls for that credential', async () => {
    const [a, b] = fleet.replicas;
    sim.inject({ endpoint: 'listJobs', times: 1, action: { kind: 'status', status: 429, code: 'Throttling.RateQuota', retryAfter: '2' } });
    const since = sim.calls.length;
    const first = await post(a!.url, 'sk-hold', pageQuery(1));
    // The wait does not fit the 2 s deadline: answered at once.
    expect(first.body.data!.fineTunes).toEqual({ __typename: 'ThrottlingError', code: 'Throttling.RateQuota', retryAfter: 2 });
    const heldAt = sim.calls.slice(since).find((call) => call.apiKey === 'sk-hold')!.at;

    // The other replica, at once: nothing reaches the upstream until the hold ends. Its callers
    // either wait for the end of the hold (when it ends within their deadline) or, here, where it
    // does not, get a ThrottlingError at once.
    const during = await Promise.all([2, 3, 4].map((page) => post(b!.url, 'sk-hold', pageQuery(page))));
    for (const result of during) {
      const value = result.body.data!.fineTunes;
      if (value.__typename === 'ThrottlingError') expect(value.retryAfter).toBeGreaterThanOrEqual(1);
      else expect(value.__typename).toBe('JobConnection');
    }
    const held = sim.calls.slice(since).filter((call) => call.apiKey === 'sk-hold' && call.at > heldAt);
    // The same machine's clock dates the hold (Redis) and the calls (simulator); 50 ms for the way.
    for (const call of held) expect(call.at).toBeGreaterThanOrEqual(heldAt + 1_950);
    expect(during.filter((result) => result.body.data!.fineTunes.__typename === 'ThrottlingError').length).toBe(3 - held.length);

    // After it: served again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, heldAt + 2_100 - Date.now())));
    const after = await post(b!.url, 'sk-hold', pageQuery(5));
    expect(after.body.data!.fineTunes.__typename).toBe('JobConnection');
    expect(calls('sk-hold', 'listJobs', undefined, since)).toBe(2 + held.length);
  });

  it('keeps answering while Redis stops and restarts under load; sharing resumes by itself', async () => {
    const id = running[1]!;
    const timeline: Record<string, number> = {};
    const t0 = performance.now();
    const mark = (name: string): void => {
      timeline[name] = Math.round(performance.now() - t0);
    };
    const watchers = [await watch(fleet.replicas[0]!.url, 'sk-load', id), await watch(fleet.replicas[1]!.url, 'sk-load', id)];
    for (const watcher of watchers) expect((await watcher.next(5_000))?.data?.fineTuneStatus.status).toBe('RUNNING');

    const results: { status: number; ok: boolean; ms: number }[] = [];
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 3 }, async (_, worker) => {
        let i = 0;
        while (loading) {
          const query = i++ % 4 === 0 ? pageQuery(1) : jobsQuery([finished[(worker * 7 + i) % finished.length]!]);
          const result = await post(fleet.lb.url, 'sk-load', query);
          const values = Object.values(result.body.data ?? {});
          results.push({
            status: result.status,
            ok:
              result.body.errors === undefined &&
              values.every((value) => value.__typename === 'FineTuneJob' || value.__typename === 'JobConnection'),
            ms: result.ms,
          });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    await redis.stop();
    mark('redisStopped');
    for (const replica of fleet.replicas) {
      await until(async () => (await ready(replica.url)).redis === 'degraded', 5_000, 'degraded');
    }
    mark('bothDegraded');
    for (const replica of fleet.replicas) {
      expect((await ready(replica.url)).status).toBe(200);
      expect(await (await fetch(`${replica.url}/metrics`)).text()).toContain('gateway_redis_state{state="degraded"} 1');
    }
    // Pollers go on per replica: a change still reaches every subscriber.
    sim.updateJob(id, { status: 'SUSPENDED' }, 'sk-load');
    for (const watcher of watchers) expect((await watcher.next(5_000))?.data?.fineTuneStatus.status).toBe('SUSPENDED');
    mark('changeSeenWhileDown');
    await new Promise((resolve) => setTimeout(resolve, 500));

    await redis.start();
    mark('redisRestarted');
    for (const replica of fleet.replicas) await until(async () => (await ready(replica.url)).redis === 'up', 10_000, 'redis up again');
    mark('bothUp');
    // One poller for the fleet again (the lease is contended once Redis is back).
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    const since = sim.calls.length;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(calls('sk-load', 'getJob', id, since)).toBeLessThanOrEqual(Math.ceil((performance.now() - started) / INTERVAL_MS) + 2);
    sim.updateJob(id, { status: 'RUNNING' }, 'sk-load');
    for (const watcher of watchers) expect((await watcher.next(5_000))?.data?.fineTuneStatus.status).toBe('RUNNING');
    mark('changeSeenAfterRestart');

    loading = false;
    await load;
    for (const watcher of watchers) watcher.close();
    // Every answer during the outage was a full answer, within the deadline.
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((result) => result.status !== 200 || !result.ok)).toEqual([]);
    expect(Math.max(...results.map((result) => result.ms))).toBeLessThan(TIMEOUT_MS);

    // Shared again: a finished job read on one replica costs the other nothing.
    const fresh = finished.slice(-2);
    const before = calls('sk-load', 'getJob');
    await post(fleet.replicas[0]!.url, 'sk-load', jobsQuery(fresh));
    await post(fleet.replicas[1]!.url, 'sk-load', jobsQuery(fresh));
    expect(calls('sk-load', 'getJob') - before).toBeLessThanOrEqual(fresh.length);
    console.log('redis failover timeline (ms):', JSON.stringify(timeline));
  });

  it('moves a poller to another replica within about a lease when its holder dies', async () => {
    const id = running[2]!;
    const [a, b] = fleet.replicas;
    const watchers = [await watch(a!.url, 'sk-fail', id), await watch(b!.url, 'sk-fail', id)];
    for (const watcher of watchers) expect((await watcher.next(5_000))?.data?.fineTuneStatus.status).toBe('RUNNING');
    // The holder is the replica whose own upstream GETs go on.
    const before = await Promise.all([a!, b!].map((replica) => upstreamGets(replica.url)));
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
    const after = await Promise.all([a!, b!].map((replica) => upstreamGets(replica.url)));
    const grew = after.map((value, index) => value - before[index]!);
    expect(grew.filter((n) => n > 0)).toHaveLength(1);
    const holder = grew[0]! > 0 ? 0 : 1;
    const survivor = fleet.replicas[1 - holder]!;
    const survivorWatcher = watchers[1 - holder]!;

    const killedAt = Date.now();
    await fleet.replicas[holder]!.kill();
    const since = sim.calls.length;
    const gapMs = await until(() => calls('sk-fail', 'getJob', id, since) > 0, 5_000, 'a poll from the survivor');
    // The lease runs out (LEASE_MS), the survivor contends every third of it and polls at once.
    expect(gapMs).toBeLessThan(LEASE_MS + LEASE_MS / 3 + INTERVAL_MS + 1_000);
    sim.updateJob(id, { status: 'FAILED', end_time: upstreamTime(Date.now()) }, 'sk-fail');
    expect((await survivorWatcher.next(5_000))?.data?.fineTuneStatus.status).toBe('FAILED');
    expect(await survivorWatcher.next(5_000)).toBeNull();
    console.log(
      `poller lease failover: first poll by the survivor ${Math.round(Date.now() - killedAt - 0)} ms after SIGKILL (gap ${Math.round(gapMs)} ms)`,
    );
    // The load balancer takes the dead replica out: requests keep being answered.
    expect((await post(fleet.lb.url, 'sk-fail', jobsQuery([finished[0]!]))).status).toBe(200);
    expect(survivor.alive).toBe(true);
  });
});
