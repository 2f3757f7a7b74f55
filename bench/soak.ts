/**
 * `npm run soak`: mixed load against the gateway (its own process, as `npm run start:prod` runs it,
 * from the sources through tsx) with the simulator as upstream (in this process, so its faults can
 * be switched), for SOAK_DURATION_S (default 600). Phases of SOAK_PHASE_S (30 s) alternate between
 * healthy and one upstream fault after another. Every SOAK_REPORT_S (10 s) it prints the gateway's
 * RSS, event-loop delay p99 (from /metrics), the error mix and the upstream calls; at the end a
 * summary with, per healthy phase, how long the gateway took to recover from the fault before it.
 * Not part of CI. Knobs: SOAK_DURATION_S, SOAK_PHASE_S, SOAK_REPORT_S, SOAK_CLIENTS (8, each pausing 20 ms between requests: load, not saturation),
 * SOAK_SUBSCRIPTIONS (20).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createDemoJobs, vendorExampleJobs } from '../src/simulator/fixtures.js';
import { type FaultAction, startSimulator } from '../src/simulator/server.js';
import type { WireJob } from '../src/upstream/wire.js';
import { freePort, productionNodeFlags } from './processes.js';

const DURATION_S = Number(process.env.SOAK_DURATION_S ?? 600);
const PHASE_S = Number(process.env.SOAK_PHASE_S ?? 30);
const REPORT_S = Number(process.env.SOAK_REPORT_S ?? 10);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 8);
const SUBSCRIPTIONS = Number(process.env.SOAK_SUBSCRIPTIONS ?? 20);
/** A healthy phase counts as recovered when no request of a real tenant started after this point failed. */
const RECOVERED_WITHIN_MS = 10_000;

const KEY_A = 'sk-soak-tenant-a-0123456789';
const KEY_B = 'sk-soak-tenant-b-0123456789';

/** A GraphQL answer as parsed: read defensively, field by field. */
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the gateway, every access is optional-chained
type Json = any;

interface Fault {
  name: string;
  action: FaultAction;
}

const FAULTS: Fault[] = [
  { name: 'status 500', action: { kind: 'status', status: 500, code: 'InternalError' } },
  { name: 'hang', action: { kind: 'hang' } },
  { name: 'status 429 (Retry-After 1)', action: { kind: 'status', status: 429, code: 'Throttling.RateQuota', retryAfter: '1' } },
  { name: 'drip (1 byte / 300 ms)', action: { kind: 'drip', intervalMs: 300 } },
  { name: 'delay 3 s', action: { kind: 'delay', ms: 3_000 } },
  { name: 'reset', action: { kind: 'reset' } },
  { name: 'html 502', action: { kind: 'html', status: 502 } },
  { name: 'reset mid-body', action: { kind: 'reset-mid-body' } },
  { name: 'truncated JSON', action: { kind: 'truncated' } },
  { name: 'other job', action: { kind: 'other-job', jobId: 'ft-202410291653-1c7f' } },
];

interface Phase {
  index: number;
  fault: Fault | null;
  startedAt: number;
  endsAt: number;
}

/** A request of a real tenant: when it started and ended, and whether it got what it asked for. */
interface Sample {
  startedAt: number;
  endedAt: number;
  ok: boolean;
}

function runningJob(id: string): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: id, job_name: id, status: 'RUNNING', create_time: '2026-11-23 09:00:00' };
}

async function main(): Promise<void> {
  const jobsA = [...vendorExampleJobs(), ...createDemoJobs({ seed: 1, count: 40, vendorExamples: false })];
  const jobsB = createDemoJobs({ seed: 2, count: 40, vendorExamples: false, owner: 'uid-b' });
  const running = Array.from({ length: 5 }, (_, i) => runningJob(`ft-202611230900-run${i}`));
  jobsA.push(...running);
  const idsA = jobsA.map((job) => job.job_id);
  const idsB = jobsB.map((job) => job.job_id);
  const ownA = new Set(idsA);
  const ownB = new Set(idsB);
  const sim = await startSimulator({ tenants: { [KEY_A]: jobsA, [KEY_B]: jobsB }, latencyMs: 20 });

  const port = await freePort();
  const gateway = spawn(process.execPath, [...productionNodeFlags(), '--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DASHSCOPE_BASE_URL: sim.origin,
      DASHSCOPE_FORWARD_AUTH: 'true',
      DASHSCOPE_POLL_INTERVAL_MS: '1000',
      DASHSCOPE_CACHE_TTL_MS: '2000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keyLeaks = watchOutput(gateway, [KEY_A, KEY_B, 'sk-made-up']);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url);
  console.log(
    `soak: ${DURATION_S} s, phases of ${PHASE_S} s, ${CLIENTS} clients + ${SUBSCRIPTIONS} subscriptions, gateway pid ${gateway.pid} on ${url}`,
  );

  const started = Date.now();
  const endsAt = started + DURATION_S * 1_000;
  const phases: Phase[] = [];
  const samples: Sample[] = [];
  const mix = new Map<string, number>();
  const totalMix = new Map<string, number>();
  let crossTenant = 0;
  let requests = 0;
  let crashed: string | null = null;
  gateway.once('exit', (code, signal) => {
    if (Date.now() < endsAt) crashed = `exited with ${code ?? signal}`;
  });
  const count = (outcome: string): void => {
    mix.set(outcome, (mix.get(outcome) ?? 0) + 1);
    totalMix.set(outcome, (totalMix.get(outcome) ?? 0) + 1);
  };

  // Phases: healthy, fault, healthy, fault…, always ending healthy (the last fault's recovery).
  const schedule = (): void => {
    if (Date.now() >= endsAt - 1_000) return;
    const index = phases.length;
    const last = Date.now() + PHASE_S * 1_000 >= endsAt - 1_000;
    const fault = index % 2 === 0 || last ? null : (FAULTS[((index - 1) / 2) % FAULTS.length] as Fault);
    sim.clearFaults();
    if (fault) sim.inject({ action: fault.action });
    const now = Date.now();
    phases.push({ index, fault, startedAt: now, endsAt: Math.min(endsAt, now + PHASE_S * 1_000) });
  };
  schedule();
  const phaseTimer = setInterval(schedule, PHASE_S * 1_000);

  // Load.
  let made = 0;
  let next = 0;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  const post = async (body: unknown, key: string | null): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let json: Json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // counted as the HTTP status
    }
    return { status: response.status, json };
  };

  type Outcome = { outcome: string; tenant: boolean };
  const jobQuery = 'query ($id: ID!) { fineTune(id: $id) { __typename ... on FineTuneJob { id status } ... on Error { code } } }';
  const listQuery =
    'query ($page: PageInput) { fineTunes(page: $page) { __typename ... on JobConnection { nodes { id status } } ... on Error { code } } }';
  const entitiesQuery = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on FineTuneJob { id } } }';
  const operations: { weight: number; run: () => Promise<Outcome> }[] = [
    {
      weight: 35,
      run: async () => {
        const [key, ids, own] = Math.random() < 0.5 ? [KEY_A, idsA, ownA] : [KEY_B, idsB, ownB];
        const { status, json } = await post({ query: jobQuery, variables: { id: pick(ids) } }, key);
        const result = json?.data?.fineTune;
        if (result?.__typename === 'FineTuneJob' && !own.has(result.id)) crossTenant += 1;
        return { outcome: result ? (result.__typename === 'FineTuneJob' ? 'ok' : result.code) : outcomeOf(status, json), tenant: true };
      },
    },
    {
      weight: 20,
      run: async () => {
        const [key, own] = Math.random() < 0.5 ? [KEY_A, ownA] : [KEY_B, ownB];
        const { status, json } = await post({ query: listQuery, variables: { page: { number: 1 + (next++ % 4), size: 10 } } }, key);
        const result = json?.data?.fineTunes;
        for (const node of result?.nodes ?? []) if (!own.has(node.id)) crossTenant += 1;
        return { outcome: result ? (result.__typename === 'JobConnection' ? 'ok' : result.code) : outcomeOf(status, json), tenant: true };
      },
    },
    {
      weight: 10,
      run: async () => {
        const representations = Array.from({ length: 20 }, () => ({ __typename: 'FineTuneJob', id: pick(idsA) }));
        const { status, json } = await post({ query: entitiesQuery, variables: { r: representations } }, KEY_A);
        const entities = json?.data?._entities;
        for (const entity of entities ?? []) if (entity && !ownA.has(entity.id)) crossTenant += 1;
        const failed = json?.errors?.[0]?.extensions?.code;
        return { outcome: failed ?? (Array.isArray(entities) ? 'ok' : outcomeOf(status, json)), tenant: true };
      },
    },
    // Bad input: a malformed id, a made-up key, a too-deep document, no key at all.
    {
      weight: 5,
      run: async () => {
        const { json } = await post({ query: jobQuery, variables: { id: '../../etc/passwd' } }, KEY_A);
        return { outcome: `bad-id:${json?.data?.fineTune?.code ?? 'other'}`, tenant: false };
      },
    },
    {
      weight: 5,
      run: async () => {
        const { status, json } = await post({ query: jobQuery, variables: { id: pick(idsA) } }, `sk-made-up-${made++ % 500}`);
        return { outcome: `made-up-key:${json?.data?.fineTune?.code ?? outcomeOf(status, json)}`, tenant: false };
      },
    },
    {
      weight: 3,
      run: async () => {
        // 120 aliases: over GRAPHQL_MAX_ALIASES, refused before execution.
        const aliased = `{ ${Array.from({ length: 120 }, (_, i) => `a${i}: fineTune(id: "ft-alias") { __typename }`).join(' ')} }`;
        const { status, json } = await post({ query: aliased }, KEY_A);
        return { outcome: `bad-document:${outcomeOf(status, json)}`, tenant: false };
      },
    },
    {
      weight: 2,
      run: async () => {
        const { status, json } = await post({ query: jobQuery, variables: { id: pick(idsA) } }, null);
        return { outcome: `no-key:${json?.data?.fineTune?.code ?? outcomeOf(status, json)}`, tenant: false };
      },
    },
  ];
  const totalWeight = operations.reduce((sum, operation) => sum + operation.weight, 0);
  const chooseOperation = () => {
    let roll = Math.random() * totalWeight;
    for (const operation of operations) {
      roll -= operation.weight;
      if (roll < 0) return operation;
    }
    return operations[0]!;
  };

  const clients = Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < endsAt && crashed === null) {
      const startedAt = Date.now();
      let result: Outcome;
      try {
        result = await chooseOperation().run();
      } catch (error) {
        result = { outcome: `client:${(error as Error).name}`, tenant: true };
      }
      requests += 1;
      count(result.outcome);
      if (result.tenant) samples.push({ startedAt, endedAt: Date.now(), ok: result.outcome === 'ok' });
      await sleep(20);
    }
  });

  // Subscriptions: SUBSCRIPTIONS streams on the running jobs, each reopened a second after it ends.
  let subscriptionEvents = 0;
  let subscriptionEnds = 0;
  const subscriptions = Array.from({ length: SUBSCRIPTIONS }, async (_, i) => {
    while (Date.now() < endsAt && crashed === null) {
      const controller = new AbortController();
      const stop = setTimeout(() => controller.abort(), Math.max(0, endsAt - Date.now()));
      try {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${KEY_A}` },
          body: JSON.stringify({
            query: 'subscription ($id: ID!) { fineTuneStatus(id: $id) { __typename ... on FineTuneJob { status } } }',
            variables: { id: running[i % running.length]!.job_id },
          }),
          signal: controller.signal,
        });
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          subscriptionEvents += Buffer.from(chunk).toString('utf8').split('event: next').length - 1;
        }
      } catch {
        // aborted at the end, or the gateway went away
      } finally {
        clearTimeout(stop);
      }
      subscriptionEnds += 1;
      await sleep(1_000);
    }
  });

  // Reports.
  let upstreamCalls = 0;
  let lastCalls = 0;
  const rss: number[] = [];
  const loopP99: number[] = [];
  let windowStart = started;
  const report = async (): Promise<void> => {
    const now = Date.now();
    const elapsed = Math.round((now - started) / 1_000);
    const covered = phases.filter((phase) => phase.startedAt < now && phase.endsAt > windowStart);
    const label = [...new Set(covered.map((phase) => phase.fault?.name ?? 'healthy'))].join(' → ');
    windowStart = now;
    upstreamCalls += sim.calls.length - lastCalls;
    const calls = sim.calls.length - lastCalls;
    sim.resetCalls();
    lastCalls = 0;
    const rssMiB = residentMiB(gateway);
    const p99 = await eventLoopP99Ms(url);
    rss.push(rssMiB);
    if (p99 !== null) loopP99.push(p99);
    const errors = [...mix.entries()]
      .filter(([outcome]) => outcome !== 'ok')
      .sort((a, b) => b[1] - a[1])
      .map(([outcome, n]) => `${outcome}=${n}`)
      .join(' ');
    console.log(
      `[${String(elapsed).padStart(4)} s] ${label.padEnd(26)} rss ${rssMiB.toFixed(0)} MiB, loop p99 ${p99 === null ? '?' : p99.toFixed(1)} ms, ok ${mix.get('ok') ?? 0}, upstream calls ${calls}, subs events ${subscriptionEvents}${errors ? `, errors: ${errors}` : ''}`,
    );
    mix.clear();
  };
  const reportTimer = setInterval(() => void report(), REPORT_S * 1_000);

  await Promise.all([...clients, ...subscriptions]);
  clearInterval(phaseTimer);
  clearInterval(reportTimer);
  await report();

  // Summary.
  console.log('\n== summary ==');
  console.log(
    `requests ${requests}, upstream calls ${upstreamCalls}, subscription events ${subscriptionEvents}, streams ended ${subscriptionEnds}`,
  );
  console.log(
    `outcomes: ${[...totalMix.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([outcome, n]) => `${outcome}=${n}`)
      .join(' ')}`,
  );
  console.log(
    `gateway RSS first ${rss[0]?.toFixed(0)} MiB, peak ${Math.max(...rss).toFixed(0)} MiB, last ${rss.at(-1)?.toFixed(0)} MiB; event-loop p99 max ${Math.max(...loopP99).toFixed(1)} ms, median ${median(loopP99).toFixed(1)} ms`,
  );
  console.log(`cross-tenant answers ${crossTenant}; lines of gateway output carrying a key ${keyLeaks.count}; crashed ${crashed ?? 'no'}`);
  console.log('\nphase                       tenant ok   recovery (healthy phase after the fault)');
  let unrecovered = 0;
  for (const phase of phases) {
    // A healthy phase counts the requests that started and ended in it (one that ran into the next
    // fault is that fault's); a fault phase, every request that started in it.
    const inPhase = samples.filter(
      (sample) => sample.startedAt >= phase.startedAt && (phase.fault ? sample.startedAt < phase.endsAt : sample.endedAt <= phase.endsAt),
    );
    const ok = inPhase.filter((sample) => sample.ok).length;
    const share = inPhase.length === 0 ? '-' : `${((ok / inPhase.length) * 100).toFixed(1)}%`;
    let recovery = '';
    if (phase.fault === null && phases[phase.index - 1]?.fault) {
      const lastFailure = Math.max(phase.startedAt, ...inPhase.filter((sample) => !sample.ok).map((sample) => sample.endedAt));
      const ms = lastFailure - phase.startedAt;
      const recovered = ms <= RECOVERED_WITHIN_MS && inPhase.some((sample) => sample.ok && sample.startedAt > lastFailure);
      if (!recovered) unrecovered += 1;
      recovery = `${recovered ? 'recovered' : 'NOT recovered'} after ${(ms / 1_000).toFixed(1)} s (${phases[phase.index - 1]?.fault?.name})`;
    }
    console.log(`${`${phase.index}. ${phase.fault?.name ?? 'healthy'}`.padEnd(28)}${share.padStart(9)}   ${recovery}`);
  }

  gateway.kill('SIGTERM');
  await new Promise((resolve) => gateway.once('exit', resolve));
  await sim.close();
  const failed = crashed !== null || crossTenant > 0 || keyLeaks.count > 0 || unrecovered > 0;
  console.log(failed ? '\nsoak: FAILED' : '\nsoak: passed');
  process.exit(failed ? 1 : 0);
}

function outcomeOf(status: number, json: Json): string {
  const code = json?.errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : `http ${status}`;
}

function watchOutput(child: ChildProcess, secrets: string[]): { count: number } {
  const leaks = { count: 0 };
  const scan = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    for (const line of text.split('\n')) if (secrets.some((secret) => line.includes(secret))) leaks.count += 1;
  };
  child.stdout?.on('data', scan);
  child.stderr?.on('data', scan);
  return leaks;
}

async function waitUntilUp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error('the gateway did not start');
}

function residentMiB(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The gateway's event-loop delay p99 since the previous scrape (prom-client resets its histogram). */
async function eventLoopP99Ms(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const match = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
    return match ? Number(match[1]) * 1_000 : null;
  } catch {
    return null;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

void main();
