/**
 * What observability costs per request: the gateway on the simulator (no latency), driven over
 * real HTTP on 127.0.0.1 with a few concurrent clients, in three set-ups:
 *   - default: metrics + one info log line per request (to a discarding destination), tracing off
 *   - tracing: the same plus spans to an in-memory exporter (what an OTLP exporter costs on top
 *     is batching and a background POST, not measured here)
 *   - baseline (optional): another checkout's `src/server.ts`, e.g. the commit before this work:
 *       git archive <ref> src | (mkdir -p .bench-baseline && tar -x -C .bench-baseline)
 *       BASELINE_SRC=.bench-baseline/src npm run bench:observability
 *
 * Usage: npm run bench:observability [-- <requests per row> [<rounds>]]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createGateway } from '../src/server.js';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { startSimulator } from '../src/simulator/server.js';

type CreateGateway = typeof createGateway;

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 8;

const sim = await startSimulator();
const ids = sim
  .jobs()
  .slice(0, 5)
  .map((job) => job.job_id);
const WORKLOADS: Record<string, string> = {
  'fineTune ×1': `query One { fineTune(id: "${ids[0]}") { __typename ... on FineTuneJob { id status createdAt } } }`,
  '20 aliases / 5 ids': `query Aliases { ${Array.from({ length: 20 }, (_, i) => `a${i}: fineTune(id: "${ids[i % 5]}") { __typename ... on FineTuneJob { id status model createdAt durationSeconds } }`).join(' ')} }`,
  'page of 50 jobs': `query Page { fineTunes(page: { size: 50 }) { ... on JobConnection { totalCount nodes { id status model createdAt endedAt durationSeconds hyperParameters { nEpochs learningRate } } } } }`,
};

const config = loadConfig({
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  PORT: '0',
  DASHSCOPE_BASE_URL: sim.origin,
  DASHSCOPE_API_KEY: DEMO_API_KEY,
});
const discard = { write() {} };
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const variants: { name: string; make: () => Promise<ReturnType<CreateGateway>> }[] = [];
if (process.env.BASELINE_SRC) {
  const baseline = (await import(pathToFileURL(resolve(process.env.BASELINE_SRC, 'server.ts')).href)) as { createGateway: CreateGateway };
  const baselineLogger = (await import(pathToFileURL(resolve(process.env.BASELINE_SRC, 'logger.ts')).href)) as {
    createLogger: typeof createLogger;
  };
  variants.push({
    name: 'baseline',
    make: async () => baseline.createGateway(config, { logger: baselineLogger.createLogger(config, discard) }),
  });
}
variants.push({ name: 'default (metrics+log)', make: async () => createGateway(config, { logger: createLogger(config, discard) }) });
variants.push({
  name: '+ tracing (in-memory)',
  make: async () => createGateway(config, { logger: createLogger(config, discard), tracerProvider: provider }),
});

// Variants run interleaved, ROUNDS times, and each row reports the median round: on a shared
// machine wall-clock numbers drift, so CPU time per request (this process: client, gateway and
// simulator alike, the same for every variant) is the figure to compare.
const ROUNDS = Number(process.argv[3] ?? 3);
const servers = [];
for (const variant of variants) {
  const gateway = await variant.make();
  const server = createServer(gateway.handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push({ name: variant.name, gateway, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` });
}
const results = new Map<string, { perSecond: number; cpuMs: number; p50: number; p99: number }[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const { name, url } of servers) {
    for (const [workload, query] of Object.entries(WORKLOADS)) {
      await drive(url, query, 200); // warm-up: JIT, keep-alive sockets, parser cache
      exporter.reset();
      const key = `${name.padEnd(24)} ${workload.padEnd(20)}`;
      results.set(key, [...(results.get(key) ?? []), await drive(url, query, REQUESTS)]);
      exporter.reset();
    }
  }
}
for (const { server, gateway } of servers) {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await gateway.close();
}
await sim.close();
console.log(`node ${process.version}, ${REQUESTS} requests per row, ${CONCURRENCY} concurrent clients, median of ${ROUNDS} rounds`);
for (const [key, runs] of results) {
  const median = runs.sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(runs.length / 2)]!;
  console.log(
    `${key} ${median.cpuMs.toFixed(3).padStart(7)} ms CPU/req   ${median.perSecond.toFixed(0).padStart(5)} req/s   p50 ${median.p50.toFixed(2)} ms   p99 ${median.p99.toFixed(2)} ms`,
  );
}

async function drive(url: string, query: string, count: number): Promise<{ perSecond: number; cpuMs: number; p50: number; p99: number }> {
  const body = JSON.stringify({ query });
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) {
        const t0 = performance.now();
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await response.text();
        if (response.status !== 200 || text.includes('"errors"')) throw new Error(`unexpected reply: ${text.slice(0, 200)}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: (count / elapsed) * 1000, cpuMs: (used.user + used.system) / 1000 / count, p50: at(0.5), p99: at(0.99) };
}
