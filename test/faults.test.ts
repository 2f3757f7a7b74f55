import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultAction } from '../src/simulator/server.js';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { captureLogs } from './support/logs.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * Fault injection over real sockets: the simulator misbehaves, the gateway answers a typed error
 * (or recovers by retrying), the upstream call count proves how often it tried, and the gateway
 * still serves the next request.
 */

const ID = 'ft-202410291653-1c7f';
const TIMEOUT_MS = 1_000;
const RETRY_MAX = 2;
/**
 * Small deadline and backoff so the suite stays fast; breaker and the finished-job cache out of the
 * way (each tested on its own): the job here is SUCCEEDED, so it would be served from memory.
 */
const FAST = {
  ...NO_CACHE,
  DASHSCOPE_TIMEOUT_MS: String(TIMEOUT_MS),
  DASHSCOPE_RETRY_MAX: String(RETRY_MAX),
  DASHSCOPE_RETRY_BASE_DELAY_MS: '10',
  DASHSCOPE_RETRY_MAX_DELAY_MS: '40',
  DASHSCOPE_BREAKER_THRESHOLD: '1000',
};

async function expectStillServing(stack: Stack): Promise<void> {
  stack.sim.clearFaults();
  const result = await stack.query(JobByIdDocument, { id: ID });
  expect(result.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: ID });
}

describe('upstream faults on fineTune(id): typed answers, bounded retries, still serving', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: FAST });
    // Warm up (first connection, first parse) so the first case measures the fault, not the start.
    await expectStillServing(stack);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.clearFaults());

  interface Case {
    name: string;
    action: FaultAction;
    /** How many calls the fault applies to; undefined: every call. */
    times?: number;
    expected: Record<string, unknown>;
    calls: number;
    /** The error carries the request_id of the last upstream reply. */
    lastRequestId?: boolean;
  }

  const cases: Case[] = [
    {
      name: 'slow (200 ms, inside the deadline)',
      action: { kind: 'delay', ms: 200 },
      expected: { __typename: 'FineTuneJob', id: ID },
      calls: 1,
    },
    { name: '500 once', action: { kind: 'status', status: 500 }, times: 1, expected: { __typename: 'FineTuneJob', id: ID }, calls: 2 },
    {
      name: '500 always',
      action: { kind: 'status', status: 500, code: 'InternalError' },
      expected: { __typename: 'UpstreamError', code: 'InternalError', httpStatus: 500 },
      lastRequestId: true,
      calls: 1 + RETRY_MAX,
    },
    {
      name: '503 always',
      action: { kind: 'status', status: 503, code: 'ServiceUnavailable' },
      expected: { __typename: 'UpstreamError', code: 'ServiceUnavailable', httpStatus: 503 },
      lastRequestId: true,
      calls: 1 + RETRY_MAX,
    },
    {
      name: '429 once (no Retry-After)',
      action: { kind: 'status', status: 429, code: 'Throttling.RateQuota' },
      times: 1,
      expected: { __typename: 'FineTuneJob', id: ID },
      calls: 2,
    },
    {
      name: '429 always (no Retry-After)',
      action: { kind: 'status', status: 429, code: 'Throttling.RateQuota' },
      expected: { __typename: 'ThrottlingError', code: 'Throttling.RateQuota', retryAfter: null },
      lastRequestId: true,
      calls: 1 + RETRY_MAX,
    },
    {
      name: '429 always, Retry-After beyond the deadline',
      action: { kind: 'status', status: 429, code: 'Throttling', retryAfter: '30' },
      expected: { __typename: 'ThrottlingError', code: 'Throttling', retryAfter: 30 },
      lastRequestId: true,
      calls: 1,
    },
    { name: 'connection reset once', action: { kind: 'reset' }, times: 1, expected: { __typename: 'FineTuneJob', id: ID }, calls: 2 },
    {
      name: 'connection reset always',
      action: { kind: 'reset' },
      expected: { __typename: 'UpstreamError', code: 'ConnectionReset', httpStatus: null, requestId: null },
      calls: 1 + RETRY_MAX,
    },
    {
      name: 'reset mid-body once',
      action: { kind: 'reset-mid-body' },
      times: 1,
      expected: { __typename: 'FineTuneJob', id: ID },
      calls: 2,
    },
    {
      name: 'reset mid-body always',
      action: { kind: 'reset-mid-body' },
      expected: { __typename: 'UpstreamError', code: 'ConnectionReset', httpStatus: null },
      calls: 1 + RETRY_MAX,
    },
    {
      name: 'HTML 502 page once',
      action: { kind: 'html', status: 502 },
      times: 1,
      expected: { __typename: 'FineTuneJob', id: ID },
      calls: 2,
    },
    {
      name: 'HTML 502 page always',
      action: { kind: 'html', status: 502 },
      expected: { __typename: 'UpstreamError', code: 'HTTP_502', httpStatus: 502, requestId: null },
      calls: 1 + RETRY_MAX,
    },
    {
      name: 'truncated JSON (200)',
      action: { kind: 'truncated' },
      expected: { __typename: 'UpstreamError', code: 'BadUpstreamResponse', httpStatus: 200 },
      calls: 1,
    },
    {
      name: 'wrong shape (200, output is a list)',
      action: { kind: 'body', status: 200, body: '{"request_id":"r-shape","output":[1,2]}' },
      expected: { __typename: 'UpstreamError', code: 'BadUpstreamResponse', requestId: 'r-shape', httpStatus: 200 },
      calls: 1,
    },
    {
      name: 'not JSON at all (200, text/plain)',
      action: { kind: 'body', status: 200, body: 'OK', contentType: 'text/plain' },
      expected: { __typename: 'UpstreamError', code: 'BadUpstreamResponse', httpStatus: 200 },
      calls: 1,
    },
    {
      name: 'empty 500 body',
      action: { kind: 'body', status: 500, body: '' },
      expected: { __typename: 'UpstreamError', code: 'HTTP_500', httpStatus: 500 },
      calls: 1 + RETRY_MAX,
    },
    {
      name: 'wrong key (401), not retried',
      action: { kind: 'status', status: 401, code: 'InvalidApiKey' },
      expected: { __typename: 'AuthenticationError', code: 'InvalidApiKey' },
      lastRequestId: true,
      calls: 1,
    },
    {
      name: '400, not retried',
      action: { kind: 'status', status: 400, code: 'InvalidParameter' },
      expected: { __typename: 'InvalidParameterError', code: 'InvalidParameter' },
      lastRequestId: true,
      calls: 1,
    },
    {
      name: '404, not retried',
      action: { kind: 'status', status: 404, code: 'NotFound' },
      expected: { __typename: 'NotFoundError', code: 'NotFound' },
      lastRequestId: true,
      calls: 1,
    },
    {
      name: '501, not retried',
      action: { kind: 'status', status: 501, code: 'NotImplemented' },
      expected: { __typename: 'UpstreamError', httpStatus: 501 },
      lastRequestId: true,
      calls: 1,
    },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${String(c.expected.__typename)}${c.expected.code ? ` ${String(c.expected.code)}` : ''}, ${c.calls} call(s)`, async () => {
      const before = stack.sim.calls.length;
      stack.sim.inject({ endpoint: 'getJob', jobId: ID, action: c.action, ...(c.times ? { times: c.times } : {}) });
      const result = await stack.query(JobByIdDocument, { id: ID });
      expect(result.errors).toBeUndefined();
      expect(result.data?.fineTune).toMatchObject(c.expected);
      expect(stack.sim.count('getJob', before)).toBe(c.calls);
      if (c.lastRequestId) expect(result.data?.fineTune).toMatchObject({ requestId: stack.sim.calls.at(-1)!.requestId });
      // Nothing raw (an HTML page) reaches the client.
      expect(JSON.stringify(result)).not.toMatch(/<html|<body/i);
      await expectStillServing(stack);
    });
  }

  it('hang: UpstreamError Timeout in bounded time, while other requests are still served', async () => {
    const before = stack.sim.calls.length;
    stack.sim.inject({ endpoint: 'getJob', jobId: 'ft-hangs', action: { kind: 'hang' } });
    const started = Date.now();
    let hungDone = false;
    const hung = stack.query(JobByIdDocument, { id: 'ft-hangs' }).finally(() => {
      hungDone = true;
    });
    // Meanwhile another caller is answered, without waiting for the hung one.
    const other = await stack.query(JobByIdDocument, { id: ID });
    expect(other.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: ID });
    expect(hungDone).toBe(false);

    const result = await hung;
    const elapsed = Date.now() - started;
    expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'Timeout', httpStatus: null, requestId: null });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_500);
    // The deadline is spent: no retry after a timeout.
    expect(stack.sim.calls.slice(before).filter((call) => call.jobId === 'ft-hangs')).toHaveLength(1);
    await expectStillServing(stack);
  });

  it('slow beyond the deadline: UpstreamError Timeout, one call', async () => {
    const before = stack.sim.calls.length;
    stack.sim.inject({ endpoint: 'getJob', jobId: ID, action: { kind: 'delay', ms: 3_000 } });
    const started = Date.now();
    const result = await stack.query(JobByIdDocument, { id: ID });
    expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'Timeout' });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_500);
    expect(stack.sim.count('getJob', before)).toBe(1);
    await expectStillServing(stack);
  });

  it('fineTunes: 500 always -> UpstreamError with the last requestId; 429 once -> retried to a page', async () => {
    let before = stack.sim.calls.length;
    stack.sim.inject({ endpoint: 'listJobs', action: { kind: 'status', status: 500, code: 'InternalError' } });
    const failed = await stack.query(JobsPageDocument, {});
    expect(failed.data?.fineTunes).toMatchObject({
      __typename: 'UpstreamError',
      code: 'InternalError',
      httpStatus: 500,
      requestId: stack.sim.calls.at(-1)!.requestId,
    });
    expect(stack.sim.count('listJobs', before)).toBe(1 + RETRY_MAX);

    stack.sim.clearFaults();
    before = stack.sim.calls.length;
    stack.sim.inject({ endpoint: 'listJobs', times: 1, action: { kind: 'status', status: 429, code: 'Throttling' } });
    const page = await stack.query(JobsPageDocument, {});
    expect(page.data?.fineTunes).toMatchObject({ __typename: 'JobConnection', pageNumber: 1 });
    expect(stack.sim.count('listJobs', before)).toBe(2);
  });
});

describe('a client that gives up mid-request', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...FAST, DASHSCOPE_TIMEOUT_MS: '10000' } });
  });
  afterAll(() => stack.close());

  it('aborts its upstream call at once and does not disturb the gateway', async () => {
    stack.sim.inject({ endpoint: 'getJob', jobId: 'ft-abandoned', action: { kind: 'hang' } });
    const controller = new AbortController();
    const abandoned = fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ fineTune(id: "ft-abandoned") { __typename } }' }),
      signal: controller.signal,
    });
    const started = Date.now();
    await waitFor(() => stack.sim.calls.some((call) => call.jobId === 'ft-abandoned'));
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    // Its upstream call is closed too, long before the 10 s deadline would have ended it.
    await waitFor(() => stack.sim.inFlight() === 0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stack.sim.calls.filter((call) => call.jobId === 'ft-abandoned')).toHaveLength(1);
    await expectStillServing(stack);
  });
});

describe('Retry-After within the deadline is honoured', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...FAST, DASHSCOPE_TIMEOUT_MS: '4000' } });
  });
  afterAll(() => stack.close());

  it('429 once with Retry-After: 1 -> waits about a second, then answers the job (2 calls)', async () => {
    const before = stack.sim.calls.length;
    stack.sim.inject({
      endpoint: 'getJob',
      jobId: ID,
      times: 1,
      action: { kind: 'status', status: 429, code: 'Throttling', retryAfter: '1' },
    });
    const result = await stack.query(JobByIdDocument, { id: ID });
    expect(result.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: ID });
    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('429 always with Retry-After: 2 -> one wait fits in 4 s, the next does not: ThrottlingError after 2 calls', async () => {
    const before = stack.sim.calls.length;
    stack.sim.inject({ endpoint: 'getJob', jobId: ID, action: { kind: 'status', status: 429, code: 'Throttling', retryAfter: '2' } });
    const started = Date.now();
    const result = await stack.query(JobByIdDocument, { id: ID });
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'ThrottlingError',
      retryAfter: 2,
      requestId: stack.sim.calls.at(-1)!.requestId,
    });
    expect(stack.sim.count('getJob', before)).toBe(2);
    expect(Date.now() - started).toBeLessThan(4_000);
    stack.sim.clearFaults();
  });
});

describe('connection refused (upstream port closed)', () => {
  let stack: Stack;
  const logs = captureLogs();
  beforeAll(async () => {
    const port = await closedPort();
    stack = await startStack({ env: { ...FAST, LOG_LEVEL: 'debug', DASHSCOPE_BASE_URL: `http://127.0.0.1:${port}` }, logs: logs.stream });
  });
  afterAll(() => stack.close());

  it('-> UpstreamError ConnectionRefused after the retry budget, quickly, and the gateway still answers', async () => {
    const started = Date.now();
    const result = await stack.query(JobByIdDocument, { id: ID });
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'UpstreamError',
      code: 'ConnectionRefused',
      httpStatus: null,
      requestId: null,
    });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
    const retries = logs.entries().filter((entry) => entry.msg === 'retrying upstream call');
    expect(retries.map((entry) => entry.code)).toEqual(['ConnectionRefused', 'ConnectionRefused']);
    // No call reached the simulator: it is not the upstream here.
    expect(stack.sim.calls).toHaveLength(0);

    const health = await fetch(`${stack.url}/health`);
    expect(health.status).toBe(200);
    const page = await stack.query(JobsPageDocument, { page: { size: 500 } });
    expect(page.data?.fineTunes).toMatchObject({ __typename: 'InvalidParameterError' });
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
