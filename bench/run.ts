import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { peakRssMiB, productionNodeFlags, startProcess, stopProcess } from './processes.js';
import { LIST_PAGES, aliasQuery, jobQuery, listPath, listQuery } from './queries.js';

/**
 * `npm run bench`: the gateway (built for production) against a bare undici pass-through proxy,
 * both over the simulator as upstream in its own process, loaded with autocannon at 32 connections
 * at 0 ms and 20 ms upstream latency. A third target, for reference, is a bare graphql-yoga server
 * with the same queries (`bench/bare-yoga.ts`): what Yoga and graphql-js cost on their own. Targets
 * take turns going first round by round; each run's warm-up is discarded. Writes
 * bench/results/latest.{md,json}.
 *
 * Env: BENCH_DURATION_S (default 8), BENCH_WARMUP_S (2), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32),
 * BENCH_LATENCIES (e.g. "0,20"), BENCH_ONLY (run only the scenarios whose name contains it),
 * BENCH_BARE_YOGA (false leaves the bare Yoga reference out).
 */

const DURATION = Number(process.env.BENCH_DURATION_S ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP_S ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,20').split(',').map(Number);
const API_KEY = 'sk-simulator-demo';
const BARE_YOGA = process.env.BENCH_BARE_YOGA !== 'false';

type Target = 'gateway' | 'proxy' | 'bare-yoga';

interface Scenario {
  name: string;
  gateway: { query: string };
  /** The REST path the proxy forwards for the same data; null when there is no single equivalent. */
  proxyPath: string | null;
  /**
   * Each connection asks for its own item instead (connection i takes entry i modulo the length):
   * concurrent requests then seldom share an upstream call, so every request costs about one.
   */
  perConnection?: { gatewayQueries: string[]; proxyPaths: string[] };
  /** Each request asks for the next item instead (round robin over all connections). */
  perRequest?: { gatewayQueries: string[]; proxyPaths: string[] };
}

interface PeakRss {
  gatewayMiB: number;
  proxyMiB: number;
  bareYogaMiB?: number;
}

interface RunResult {
  target: Target;
  scenario: string;
  latencyMs: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  upstreamCallsPerRequest: number;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'bench/tsconfig.json'], { stdio: 'inherit' });
  const results: RunResult[] = [];
  const rss: Record<string, PeakRss> = {};

  for (const latencyMs of LATENCIES) {
    const sim = await startProcess('simulator', ['dist/simulator/main.js'], { SIMULATOR_LATENCY_MS: String(latencyMs) });
    const simOrigin = `http://127.0.0.1:${sim.port}`;
    const ids = await pickIds(simOrigin);
    const scenarios: Scenario[] = [
      {
        name: 'list page, the same page (shared calls)',
        gateway: {
          query: listQuery(1, 20),
        },
        proxyPath: '/api/v1/fine-tunes?page_no=1&page_size=20',
      },
      {
        name: 'single job, the same running job (shared calls)',
        gateway: { query: jobQuery(ids.running[0]!) },
        proxyPath: `/api/v1/fine-tunes/${ids.running[0]}`,
      },
      {
        name: 'single job, cached (finished)',
        gateway: { query: jobQuery(ids.finished[0]!) },
        proxyPath: `/api/v1/fine-tunes/${ids.finished[0]}`,
      },
      {
        name: `single job, uncached (a different running job per connection, ${ids.running.length} ids)`,
        gateway: { query: jobQuery(ids.running[0]!) },
        proxyPath: `/api/v1/fine-tunes/${ids.running[0]}`,
        perConnection: { gatewayQueries: ids.running.map(jobQuery), proxyPaths: ids.running.map((id) => `/api/v1/fine-tunes/${id}`) },
      },
      {
        name: 'list page, uncached (a different page per request)',
        gateway: { query: listQuery(1, 20) },
        proxyPath: listPath(1, 20),
        perRequest: {
          gatewayQueries: LIST_PAGES.map(([n, size]) => listQuery(n, size)),
          proxyPaths: LIST_PAGES.map(([n, size]) => listPath(n, size)),
        },
      },
      {
        name: '20 aliases over 5 ids (running)',
        gateway: {
          query: aliasQuery(ids.running),
        },
        proxyPath: null,
      },
    ];
    // The gateway runs its default configuration: its adaptive upstream limit grows to what the load needs.
    const env = { DASHSCOPE_BASE_URL: simOrigin, DASHSCOPE_API_KEY: API_KEY, NODE_ENV: 'production' };
    const gateway = await startProcess('gateway', [...productionNodeFlags(), 'dist/main.js'], env);
    const proxy = await startProcess('proxy', ['dist/bench/passthrough-proxy.js'], env);
    // Like the proxy, with Node's default flags.
    const bareYoga = BARE_YOGA ? await startProcess('bare yoga', ['dist/bench/bare-yoga.js'], env) : null;
    const ports: Record<Target, number | undefined> = { gateway: gateway.port, proxy: proxy.port, 'bare-yoga': bareYoga?.port };

    const only = process.env.BENCH_ONLY;
    for (const scenario of scenarios.filter((candidate) => only === undefined || candidate.name.includes(only))) {
      for (let round = 0; round < ROUNDS; round++) {
        // Rotate which target goes first, so none always runs on a warmer machine.
        const targets: Target[] = bareYoga ? ['proxy', 'gateway', 'bare-yoga'] : ['proxy', 'gateway'];
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
        for (const target of order) {
          // The reference and the floor only where the proxy has an equivalent (the ratios' denominator).
          if (target !== 'gateway' && scenario.proxyPath === null) continue;
          const port = ports[target];
          const request =
            target !== 'proxy'
              ? {
                  url: `http://127.0.0.1:${port}/graphql`,
                  method: 'POST' as const,
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify(scenario.gateway),
                }
              : { url: `http://127.0.0.1:${port}${scenario.proxyPath}`, method: 'GET' as const };
          const perConnection = scenario.perConnection;
          if (perConnection) {
            let next = 0;
            (request as autocannon.Options).setupClient = (client) => {
              const index = next++;
              if (target !== 'proxy') {
                const queries = perConnection.gatewayQueries;
                client.setBody(JSON.stringify({ query: queries[index % queries.length] }));
              } else {
                const paths = perConnection.proxyPaths;
                client.setRequest({ method: 'GET', path: paths[index % paths.length] });
              }
            };
          }
          const perRequest = scenario.perRequest;
          if (perRequest) {
            let next = 0;
            const base = request as autocannon.Options;
            base.requests = [
              {
                setupRequest: (req) => {
                  const index = next++;
                  if (target !== 'proxy') {
                    const queries = perRequest.gatewayQueries;
                    return { ...req, body: JSON.stringify({ query: queries[index % queries.length] }) };
                  }
                  const paths = perRequest.proxyPaths;
                  return { ...req, path: paths[index % paths.length] };
                },
              },
            ];
          }
          await load(request, WARMUP);
          await fetch(`${simOrigin}/__simulator/reset`, { method: 'POST' });
          const result = await load(request, DURATION);
          const stats = (await (await fetch(`${simOrigin}/__simulator/stats`)).json()) as { calls: number };
          const total = result.requests.total || 1;
          results.push({
            target,
            scenario: scenario.name,
            latencyMs,
            reqPerSec: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            errors: result.errors + result.timeouts,
            non2xx: result.non2xx,
            upstreamCallsPerRequest: stats.calls / total,
          });
          console.log(
            `${latencyMs}ms ${scenario.name} ${target}: ${result.requests.average.toFixed(0)} req/s p99 ${result.latency.p99} ms`,
          );
        }
      }
    }
    rss[`${latencyMs}`] = {
      gatewayMiB: peakRssMiB(gateway.child),
      proxyMiB: peakRssMiB(proxy.child),
      ...(bareYoga ? { bareYogaMiB: peakRssMiB(bareYoga.child) } : {}),
    };
    for (const p of [gateway, proxy, bareYoga, sim]) if (p) await stopProcess(p.child);
  }

  const summary = summarize(results, rss);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/latest.json',
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, connections: CONNECTIONS, durationS: DURATION, rounds: ROUNDS, results, rss, summary: summary.json }, null, 2)}\n`,
  );
  writeFileSync('bench/results/latest.md', summary.markdown);
  console.log(`\n${summary.markdown}`);
}

function load(request: autocannon.Options, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ ...request, connections: CONNECTIONS, duration: seconds, pipelining: 1 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

async function pickIds(simOrigin: string): Promise<{ running: string[]; finished: string[] }> {
  const response = await fetch(`${simOrigin}/api/v1/fine-tunes?page_no=1&page_size=100`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const body = (await response.json()) as { output: { jobs: { job_id: string; status: string }[] } };
  const running = body.output.jobs.filter((job) => !['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)).map((job) => job.job_id);
  const finished = body.output.jobs.filter((job) => job.status === 'SUCCEEDED').map((job) => job.job_id);
  return { running, finished };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function summarize(results: RunResult[], rss: Record<string, PeakRss>) {
  const rows: string[] = [];
  const json: Record<string, unknown>[] = [];
  rows.push(
    '| upstream latency | scenario | proxy req/s | gateway req/s | gateway / proxy | proxy p50 / p99 ms | gateway p50 / p99 ms | p99 ratio | upstream calls / request | errors | bare Yoga / proxy | bare Yoga p99 ratio |',
  );
  rows.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const keys = [...new Set(results.map((r) => `${r.latencyMs}\u0000${r.scenario}`))];
  for (const key of keys) {
    const [latency, scenario] = key.split('\u0000') as [string, string];
    const of = (target: string) => results.filter((r) => `${r.latencyMs}` === latency && r.scenario === scenario && r.target === target);
    const g = of('gateway');
    const p = of('proxy');
    const y = of('bare-yoga');
    const gRps = median(g.map((r) => r.reqPerSec));
    const pRps = p.length ? median(p.map((r) => r.reqPerSec)) : null;
    const gP50 = median(g.map((r) => r.p50));
    const gP99 = median(g.map((r) => r.p99));
    const pP50 = p.length ? median(p.map((r) => r.p50)) : null;
    const pP99 = p.length ? median(p.map((r) => r.p99)) : null;
    const calls = median(g.map((r) => r.upstreamCallsPerRequest));
    const errors = [...g, ...p, ...y].reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    const ratio = pRps ? gRps / pRps : null;
    const p99Ratio = pP99 ? gP99 / pP99 : null;
    const yRps = y.length ? median(y.map((r) => r.reqPerSec)) : null;
    const yP99 = y.length ? median(y.map((r) => r.p99)) : null;
    const yRatio = yRps !== null && pRps ? yRps / pRps : null;
    const yP99Ratio = yP99 !== null && pP99 ? yP99 / pP99 : null;
    json.push({
      latencyMs: Number(latency),
      scenario,
      proxyReqPerSec: pRps,
      gatewayReqPerSec: gRps,
      throughputRatio: ratio,
      proxyP50: pP50,
      proxyP99: pP99,
      gatewayP50: gP50,
      gatewayP99: gP99,
      p99Ratio,
      upstreamCallsPerRequest: calls,
      errors,
      bareYogaReqPerSec: yRps,
      bareYogaThroughputRatio: yRatio,
      bareYogaP99: yP99,
    });
    rows.push(
      `| ${latency} ms | ${scenario} | ${pRps?.toFixed(0) ?? '—'} | ${gRps.toFixed(0)} | ${ratio === null ? '—' : `${(ratio * 100).toFixed(0)}%`} | ${pP50 === null ? '—' : `${pP50} / ${pP99}`} | ${gP50} / ${gP99} | ${p99Ratio === null ? '—' : `${p99Ratio.toFixed(2)}×`} | ${calls.toFixed(2)} | ${errors} | ${yRatio === null ? '—' : `${(yRatio * 100).toFixed(0)}%`} | ${yP99Ratio === null ? '—' : `${yP99Ratio.toFixed(2)}×`} |`,
    );
  }
  rows.push('');
  rows.push('| upstream latency | proxy peak RSS | gateway peak RSS | ratio | bare Yoga peak RSS | ratio |');
  rows.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [latency, r] of Object.entries(rss)) {
    const bare = r.bareYogaMiB === undefined ? '— | —' : `${r.bareYogaMiB} MiB | ${(r.bareYogaMiB / r.proxyMiB).toFixed(2)}×`;
    rows.push(`| ${latency} ms | ${r.proxyMiB} MiB | ${r.gatewayMiB} MiB | ${(r.gatewayMiB / r.proxyMiB).toFixed(2)}× | ${bare} |`);
  }
  const markdown = `${rows.join('\n')}\n\n${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warm-up, median of ${ROUNDS} alternating rounds, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.\n`;
  return { markdown, json: { rows: json, rss } };
}

await main();
