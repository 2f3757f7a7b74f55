import { type ChildProcess, spawn } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, vendorExampleJobs } from '../src/simulator/fixtures.js';
import { type FaultAction, type Simulator, startSimulator } from '../src/simulator/server.js';
import type { WireJob } from '../src/upstream/wire.js';
import { WatchJobStatusDocument } from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { NO_CACHE, startStack } from './support/stack.js';

/** The real process (`node --import tsx src/main.ts`) against a simulator the test controls. */

const ID = 'ft-202410291653-1c7f';

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Parsed pino lines from stdout so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  exit: Promise<number | null>;
  waitForLog(msg: string): Promise<void>;
}

async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (msg: string | RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => logs.some((entry) => (typeof msg === 'string' ? entry.msg === msg : msg.test(String(entry.msg))));
      if (matches()) return resolve();
      const timer = setTimeout(() => reject(new Error(`no log "${msg}" in ${JSON.stringify(logs)} ${stderr.join('')}`)), timeoutMs);
      const listener = () => {
        if (matches()) {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve();
        }
      };
      listeners.add(listener);
      void exit.then(() => listener());
    });

  await waitForLog(/ready at/);
  const ready = logs.find((entry) => /ready at/.test(String(entry.msg)))!;
  const url = /ready at (http:\/\/\S+)\/graphql/.exec(String(ready.msg))![1]!;
  return { child, url, logs, stderr, exit, waitForLog: (msg) => waitForLog(msg) };
}

const query = (url: string, body: string, dispatcher?: Agent) =>
  undiciFetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: body }),
    ...(dispatcher ? { dispatcher } : {}),
  });

describe('the gateway process: survives faults, drains on SIGTERM', () => {
  let sim: Simulator;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    sim = await startSimulator();
    gateway = await startGatewayProcess({
      DASHSCOPE_BASE_URL: sim.origin,
      DASHSCOPE_API_KEY: DEMO_API_KEY,
      // Room for the 300 ms latency below on a busy machine; the hang fault costs this much once.
      DASHSCOPE_TIMEOUT_MS: '1500',
      ...NO_CACHE,
      DASHSCOPE_RETRY_BASE_DELAY_MS: '5',
      DASHSCOPE_RETRY_MAX_DELAY_MS: '10',
      // Every fault in a row would open the circuit; this test wants each to reach the upstream.
      DASHSCOPE_BREAKER_THRESHOLD: '1000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // This describe is about closing: no drain period before the listener closes (see the next one).
      SHUTDOWN_DRAIN_MS: '0',
    });
  });
  afterAll(async () => {
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await sim.close();
  });

  it('survives every upstream fault and every hostile request, answering each', async () => {
    const faults: FaultAction[] = [
      { kind: 'hang' },
      { kind: 'reset' },
      { kind: 'reset-mid-body' },
      { kind: 'html', status: 502 },
      { kind: 'truncated' },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429, retryAfter: '1' },
      { kind: 'body', status: 200, body: '{"output":{"job_id":42}}' },
      { kind: 'body', status: 200, body: 'null' },
    ];
    for (const action of faults) {
      sim.clearFaults();
      sim.inject({ action });
      const response = await query(gateway.url, `{ fineTune(id: "${ID}") { __typename ... on Error { code } } }`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: { fineTune: { __typename: string } } };
      expect(body.data.fineTune.__typename).toMatch(/Error$/);
    }
    sim.clearFaults();
    for (const hostile of ['{ fineTunes( ', '{ '.repeat(5_000), `{ ${'a: __typename '.repeat(3)} }`, '']) {
      const response = await query(gateway.url, hostile);
      expect(response.status).toBeLessThan(500);
    }
    const garbage = await undiciFetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(garbage.status).toBe(400);

    const after = await query(gateway.url, `{ fineTune(id: "${ID}") { __typename } }`);
    expect(await after.json()).toEqual({ data: { fineTune: { __typename: 'FineTuneJob' } } });
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.logs.filter((entry) => /unhandled|uncaught/.test(String(entry.msg)))).toEqual([]);
    expect(gateway.stderr.join('')).toBe('');
  });

  it('SIGTERM with requests in flight: stops accepting, finishes them, closes the pool, exits 0', async () => {
    sim.setLatency(300);
    const inFlight = [
      query(gateway.url, `{ fineTune(id: "${ID}") { __typename ... on FineTuneJob { id } } }`),
      query(gateway.url, '{ fineTunes(page: { size: 2 }) { __typename ... on JobConnection { totalCount } } }'),
      query(gateway.url, '{ fineTune(id: "ft-not-there") { __typename } }'),
    ];
    const deadline = Date.now() + 5_000;
    while (sim.inFlight() < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sim.inFlight()).toBe(3);

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await gateway.waitForLog('shutting down: finishing requests in flight');

    // New connections are refused from now on.
    const fresh = new Agent();
    await expect(query(gateway.url, '{ __typename }', fresh)).rejects.toThrow();
    await fresh.close();

    // The requests already in flight are answered in full.
    const answers = await Promise.all(inFlight.map(async (response) => (await response).json()));
    expect(answers).toEqual([
      { data: { fineTune: { __typename: 'FineTuneJob', id: ID } } },
      { data: { fineTunes: { __typename: 'JobConnection', totalCount: expect.any(Number) } } },
      { data: { fineTune: { __typename: 'NotFoundError' } } },
    ]);

    expect(await gateway.exit).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(gateway.logs.map((entry) => entry.msg)).toContain('shut down');
    expect(gateway.logs.map((entry) => entry.msg)).not.toContain('shutdown timeout: closing the connections still busy');
    sim.setLatency(0);
  });
});

describe('shutdown is bounded', () => {
  let sim: Simulator;
  let gateway: GatewayProcess | null = null;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterEach(() => {
    if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
  });
  afterAll(() => sim.close());

  it('SIGINT with a request the upstream never answers: cut after SHUTDOWN_TIMEOUT_MS, exit 0', async () => {
    gateway = await startGatewayProcess({
      DASHSCOPE_BASE_URL: sim.origin,
      DASHSCOPE_API_KEY: DEMO_API_KEY,
      DASHSCOPE_TIMEOUT_MS: '30000',
      ...NO_CACHE,
      SHUTDOWN_TIMEOUT_MS: '300',
    });
    sim.inject({ action: { kind: 'hang' } });
    // Settled at once into a value, so its (expected) failure is never an unhandled rejection.
    const stuck = query(gateway.url, `{ fineTune(id: "${ID}") { __typename } }`).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    const deadline = Date.now() + 5_000;
    while (sim.inFlight() < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));

    const signalled = Date.now();
    gateway.child.kill('SIGINT');
    expect(await gateway.exit).toBe(0);
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    // Its connection was cut: it got no answer.
    expect(await stuck).toBeInstanceOf(Error);
    expect(gateway.logs.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining([
        'shutting down: finishing requests in flight',
        'shutdown timeout: closing the connections still busy',
        'shut down',
      ]),
    );
    // The abandoned upstream call was closed with the pool.
    const closed = Date.now() + 2_000;
    while (sim.inFlight() > 0 && Date.now() < closed) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sim.inFlight()).toBe(0);
  });
});

/**
 * One request on a keep-alive connection of its own (node:http, so hop-by-hop headers such as
 * Connection are visible: the client asks to keep the connection, the server says whether it will).
 */
function plainRequest(
  url: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const agent = new HttpAgent({ keepAlive: true });
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const request = httpRequest(
      `${url}${path}`,
      { method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, agent },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  }).finally(() => agent.destroy());
}

describe('SIGTERM drains first (SHUTDOWN_DRAIN_MS): /ready 503 while serving with Connection: close, subscriptions told to go away, then the listener closes', () => {
  const LIVE_ID = 'ft-202611230900-live';
  const DRAIN_MS = 1_500;
  let sim: Simulator;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    sim = await startSimulator();
    const [example] = vendorExampleJobs();
    const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
    sim.upsertJob({ ...running, job_id: LIVE_ID, job_name: LIVE_ID, status: 'RUNNING', create_time: '2026-11-23 09:00:00' }, DEMO_API_KEY);
    gateway = await startGatewayProcess({
      DASHSCOPE_BASE_URL: sim.origin,
      DASHSCOPE_API_KEY: DEMO_API_KEY,
      DASHSCOPE_POLL_INTERVAL_MS: '100',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
  });
  afterAll(async () => {
    if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await sim.close();
  });

  it('drains, then closes and exits 0', async () => {
    const ready = await plainRequest(gateway.url, '/ready');
    expect(ready.status).toBe(200);
    const before = await plainRequest(gateway.url, '/graphql', JSON.stringify({ query: '{ __typename }' }));
    expect(before.headers.connection).not.toBe('close');

    const subscription = await subscribe(`${gateway.url}/graphql`, WatchJobStatusDocument, { id: LIVE_ID });
    expect(subscription.status).toBe(200);
    expect(await subscription.next()).toMatchObject({ data: { fineTuneStatus: { __typename: 'FineTuneJob', status: 'RUNNING' } } });

    const signalled = Date.now();
    gateway.child.kill('SIGTERM');
    await gateway.waitForLog('draining: /ready answers 503 until the listener closes');

    // The live subscription is told the server is going away (not a plain completion) and ends.
    const notice = await subscription.next(3_000);
    expect(notice).toEqual({ errors: [{ message: expect.stringMatching(/shutting down/), extensions: { code: 'SHUTTING_DOWN' } }] });
    expect(await subscription.next(3_000)).toBeNull();

    // Still serving on new connections: not ready, and every answer closes its connection.
    const draining = await plainRequest(gateway.url, '/ready');
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.body)).toMatchObject({ ready: false, draining: true });
    expect(draining.headers.connection).toBe('close');
    const answered = await plainRequest(gateway.url, '/graphql', JSON.stringify({ query: `{ fineTune(id: "${ID}") { __typename } }` }));
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({ data: { fineTune: { __typename: 'FineTuneJob' } } });
    expect(answered.headers.connection).toBe('close');
    // A subscription started while draining gets the notice at once.
    const late = await subscribe(`${gateway.url}/graphql`, WatchJobStatusDocument, { id: LIVE_ID });
    expect(await late.next(3_000)).toMatchObject({ errors: [{ extensions: { code: 'SHUTTING_DOWN' } }] });
    expect(await late.next(3_000)).toBeNull();
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS);

    // Then the listener closes: new connections are refused, and the process exits 0.
    await gateway.waitForLog('shutting down: finishing requests in flight');
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    await expect(plainRequest(gateway.url, '/ready')).rejects.toThrow();
    expect(await gateway.exit).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS + 5_000);
    expect(gateway.logs.map((entry) => entry.msg)).not.toContain('shutdown timeout: closing the connections still busy');
  });
});

describe('gateway.drain() (in process)', () => {
  it('gives every live subscription the going-away notice, ends its stream and stops its poller; later subscriptions get the notice at once', async () => {
    const stack = await startStack({ env: { DASHSCOPE_POLL_INTERVAL_MS: '100' } });
    try {
      const [example] = vendorExampleJobs();
      const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
      stack.sim.upsertJob({ ...running, job_id: 'ft-live-1', job_name: 'ft-live-1', status: 'RUNNING' }, DEMO_API_KEY);
      const live = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: 'ft-live-1' });
      expect(await live.next()).toMatchObject({ data: { fineTuneStatus: { status: 'RUNNING' } } });
      expect(stack.gateway.jobStatus.pollers).toBe(1);

      stack.gateway.drain();
      expect(await live.next(3_000)).toEqual({
        errors: [{ message: 'The server is shutting down; subscribe again to continue.', extensions: { code: 'SHUTTING_DOWN' } }],
      });
      expect(await live.next(3_000)).toBeNull();
      expect(stack.gateway.jobStatus.pollers).toBe(0);
      const calls = stack.sim.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stack.sim.calls.length).toBe(calls);

      const late = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: 'ft-live-1' });
      expect(await late.next(3_000)).toMatchObject({ errors: [{ extensions: { code: 'SHUTTING_DOWN' } }] });
      expect(await late.next(3_000)).toBeNull();
      expect(stack.sim.calls.length).toBe(calls);
    } finally {
      await stack.close();
    }
  });
});
