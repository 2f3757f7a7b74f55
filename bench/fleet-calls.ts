/**
 * Upstream calls of the same workloads for one replica, two replicas alone, and two replicas sharing
 * Redis, each fleet behind HAProxy (test/support): the shared cache, the shared pollers, a burst
 * against DASHSCOPE_MAX_RPS and a 429 seen by one replica. Run: `npx tsx bench/fleet-calls.ts`
 * (needs Debian's redis-server and haproxy, as the tests do). Prints one JSON line per fleet.
 */
import { createDemoJobs } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { startFleet } from '../test/support/fleet.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { parse } from 'graphql';
import { subscribe } from '../test/support/sse.js';

const INTERVAL_MS = 300;
const MAX_RPS = 10;
const jobs = createDemoJobs();
const finished = jobs.filter((job) => job.status === 'SUCCEEDED' || job.status === 'FAILED').map((job) => job.job_id);
const running = jobs.filter((job) => job.status === 'RUNNING').map((job) => job.job_id);
const KEYS = ['sk-cache', 'sk-poll', 'sk-burst', 'sk-hold'];

interface Body {
  data?: { fineTunes?: { __typename: string } } | null;
}

async function post(origin: string, key: string, query: string): Promise<Body> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as Body;
}
const jobsQuery = (ids: string[]): string => `{ ${ids.map((id, i) => `j${i}: fineTune(id: "${id}") { __typename }`).join(' ')} }`;
const pageQuery = (page: number): string => `{ fineTunes(page: { number: ${page}, size: 1 }) { __typename } }`;
const count = (sim: Simulator, key: string, since = 0): number => sim.calls.slice(since).filter((call) => call.apiKey === key).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(label: string, replicas: number, withRedis: boolean): Promise<void> {
  const sim = await startSimulator({ tenants: Object.fromEntries(KEYS.map((key) => [key, createDemoJobs()])) });
  const redis = withRedis ? await startRedisServer() : null;
  const fleet = await startFleet(replicas, {
    DASHSCOPE_BASE_URL: sim.origin,
    DASHSCOPE_FORWARD_AUTH: 'true',
    ...(redis ? { REDIS_URL: redis.url } : {}),
    DASHSCOPE_MAX_RPS: String(MAX_RPS),
    DASHSCOPE_TIMEOUT_MS: '2000',
    DASHSCOPE_POLL_INTERVAL_MS: String(INTERVAL_MS),
    DASHSCOPE_POLL_LEASE_MS: '900',
  });
  await sleep(500);
  const lb = fleet.lb.url;
  const result: Record<string, unknown> = { fleet: label };

  // Shared cache: 8 finished jobs read 6 times through the load balancer.
  for (let i = 0; i < 6; i++) await post(lb, 'sk-cache', jobsQuery(finished.slice(0, 8)));
  result.cacheCallsFor6x8Reads = count(sim, 'sk-cache');

  // Shared pollers: 4 subscribers (spread by the balancer) on one running job for 3 s.
  const document = parse('subscription ($id: ID!) { fineTuneStatus(id: $id) { __typename } }');
  const watchers = await Promise.all(
    Array.from({ length: 4 }, () =>
      subscribe<unknown, { id: string }>(`${lb}/graphql`, document, { id: running[0]! }, { headers: { authorization: 'Bearer sk-poll' } }),
    ),
  );
  await Promise.all(watchers.map((watcher) => watcher.next(5_000)));
  const pollSince = sim.calls.length;
  await sleep(3_000);
  result.pollsIn3sAt300ms = count(sim, 'sk-poll', pollSince);
  for (const watcher of watchers) watcher.close();

  // Burst: 40 list calls at once, DASHSCOPE_MAX_RPS=10, 2 s deadline.
  const burstSince = sim.calls.length;
  const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => post(lb, 'sk-burst', pageQuery(i + 1))));
  const times = sim.calls
    .slice(burstSince)
    .filter((call) => call.apiKey === 'sk-burst')
    .map((call) => call.at)
    .sort((a, b) => a - b);
  result.burst = {
    upstreamCalls: times.length,
    throttled: burst.filter((body) => body.data?.fineTunes?.__typename === 'ThrottlingError').length,
    busiestSecond: Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length)),
  };

  // 429 with Retry-After: 2 on one call, then 6 more calls through the balancer at once.
  await sleep(1_000);
  sim.inject({ endpoint: 'listJobs', times: 1, action: { kind: 'status', status: 429, retryAfter: '2' } });
  const holdSince = sim.calls.length;
  await post(lb, 'sk-hold', pageQuery(1));
  await Promise.all(Array.from({ length: 6 }, (_, i) => post(lb, 'sk-hold', pageQuery(i + 2))));
  result.callsDuring429Hold = count(sim, 'sk-hold', holdSince) - 1;

  console.log(JSON.stringify(result));
  await fleet.close();
  await redis?.close();
  await sim.close();
}

/** Latency a request pays for Redis: a running job (never cached) read 300 times in a row, after 100 to warm up. */
async function latency(withRedis: boolean): Promise<void> {
  const sim = await startSimulator({ tenants: { 'sk-latency': createDemoJobs() } });
  const redis = withRedis ? await startRedisServer() : null;
  const fleet = await startFleet(1, {
    DASHSCOPE_BASE_URL: sim.origin,
    DASHSCOPE_FORWARD_AUTH: 'true',
    ...(redis ? { REDIS_URL: redis.url } : {}),
  });
  const origin = fleet.replicas[0]!.url;
  const samples: number[] = [];
  for (let i = 0; i < 400; i++) {
    const started = performance.now();
    await post(origin, 'sk-latency', jobsQuery([running[0]!]));
    if (i >= 100) samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => Number(samples[Math.floor(q * (samples.length - 1))]!.toFixed(2));
  // With Redis: a shared-cache GET (a miss: the job runs) and the rate-budget script per upstream call.
  console.log(JSON.stringify({ latency: withRedis ? 'Redis' : 'no Redis', uncachedJobP50Ms: at(0.5), uncachedJobP99Ms: at(0.99) }));
  await fleet.close();
  await redis?.close();
  await sim.close();
}

await measure('1 replica', 1, false);
await measure('2 replicas, no Redis', 2, false);
await measure('2 replicas, Redis', 2, true);
await latency(false);
await latency(true);
