/**
 * Redis memory per 10,000 finished jobs in the shared finished-job cache (docs/scaling.md):
 * `INFO memory` of a private redis-server before and after one gateway caches 10,000 finished jobs
 * (listed from the simulator, 100 per page: listed jobs feed the cache). Run: `npx tsx bench/redis-memory.ts`.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createGateway } from '../src/server.js';
import { DEMO_API_KEY, createDemoJobs, upstreamTime } from '../src/simulator/fixtures.js';
import { startSimulator } from '../src/simulator/server.js';
import { createCredential } from '../src/upstream/credential.js';
import { startRedisServer } from '../test/support/redis-server.js';

const JOBS = 10_000;

const jobs = createDemoJobs({ count: JOBS, vendorExamples: false }).map((job) =>
  job.status === 'SUCCEEDED' || job.status === 'FAILED' || job.status === 'CANCELED'
    ? job
    : { ...job, status: 'SUCCEEDED', end_time: upstreamTime(Date.UTC(2024, 0, 1)) },
);
const sim = await startSimulator({ tenants: { [DEMO_API_KEY]: jobs } });
const redis = await startRedisServer();
const config = loadConfig({
  LOG_LEVEL: 'silent',
  DASHSCOPE_BASE_URL: sim.origin,
  DASHSCOPE_API_KEY: DEMO_API_KEY,
  REDIS_URL: redis.url,
  DASHSCOPE_CACHE_MAX_ENTRIES: String(2 * JOBS),
});
const gateway = createGateway(config, { logger: createLogger(config) });
const client = redis.client();
while (gateway.health().redis !== 'up') await new Promise((resolve) => setTimeout(resolve, 10));

const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
const before = await usedMemory();
const credential = createCredential(DEMO_API_KEY, null);
for (let page = 1; page <= JOBS / 100; page++) await gateway.client.listJobs({ pageNumber: page, pageSize: 100, model: null }, credential);
// The shared writes are not awaited by the answers: wait for all of them.
while ((await client.dbsize()) < JOBS + 1) await new Promise((resolve) => setTimeout(resolve, 50));
const after = await usedMemory();
const sample = (await client.keys(`${config.redis!.keyPrefix}job:*`)).find((key) => !key.endsWith('~index'))!;
const entryBytes = Buffer.byteLength((await client.get(sample)) ?? '');

const perJob = (after - before) / JOBS;
console.log(
  JSON.stringify(
    {
      jobs: JOBS,
      keys: await client.dbsize(),
      usedMemoryBefore: before,
      usedMemoryAfter: after,
      bytesPerJob: Math.round(perJob),
      mibPer10000Jobs: Number(((perJob * 10_000) / 1024 / 1024).toFixed(1)),
      sampleValueBytes: entryBytes,
      redisVersion: /redis_version:(\S+)/.exec(await client.info('server'))![1],
    },
    null,
    2,
  ),
);
await gateway.close();
await redis.close();
await sim.close();
