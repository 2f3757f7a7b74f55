import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobByIdDocument } from './generated/graphql.js';
import { captureLogs } from './support/logs.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

const ID = 'ft-202410291653-1c7f';

describe('bounded concurrency towards the upstream, with a bounded queue that fails fast', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ...NO_CACHE,
        DASHSCOPE_MAX_CONCURRENCY: '2',
        DASHSCOPE_MAX_QUEUE: '2',
        DASHSCOPE_TIMEOUT_MS: '10000',
        DASHSCOPE_RETRY_MAX: '0',
      },
      // Long enough that the slots stay taken while the test makes its point, on a busy machine too.
      simulator: { latencyMs: 1_500 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  it('2 in flight and 2 queued: 4 more callers are refused at once with Overloaded, no upstream call', async () => {
    let servedAnswered = 0;
    const served = Array.from({ length: 4 }, (_, index) =>
      stack.query(JobByIdDocument, { id: `ft-load-${index}` }).finally(() => {
        servedAnswered += 1;
      }),
    );
    await waitFor(() => {
      const { active, queued } = stack.gateway.health().upstream;
      return active === 2 && queued === 2;
    });

    const refused = await Promise.all(Array.from({ length: 4 }, (_, index) => stack.query(JobByIdDocument, { id: `ft-extra-${index}` })));
    // Refused without waiting for a slot: none of the admitted callers had its answer yet.
    expect(servedAnswered).toBe(0);
    for (const result of refused) {
      expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'Overloaded', httpStatus: null, requestId: null });
    }

    // The admitted four reached the upstream (which does not know these ids), two at a time.
    for (const result of await Promise.all(served)) expect(result.data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    expect(stack.sim.calls.map((call) => call.jobId).sort()).toEqual(['ft-load-0', 'ft-load-1', 'ft-load-2', 'ft-load-3']);
    expect(stack.sim.peakInFlight()).toBe(2);
  });

  it('a queued call whose client leaves gives up its place and never reaches the upstream', async () => {
    const inFlight = [stack.query(JobByIdDocument, { id: 'ft-slot-1' }), stack.query(JobByIdDocument, { id: 'ft-slot-2' })];
    await waitFor(() => stack.sim.inFlight() === 2);
    const controller = new AbortController();
    const queued = fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ fineTune(id: "ft-queued-then-gone") { __typename } }' }),
      signal: controller.signal,
    });
    await waitFor(() => stack.gateway.health().upstream.queued === 1);
    expect(stack.gateway.health().upstream.active).toBe(2);
    controller.abort();
    await expect(queued).rejects.toThrow();
    await waitFor(() => stack.gateway.health().upstream.queued === 0);
    await Promise.all(inFlight);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stack.sim.calls.map((call) => call.jobId)).not.toContain('ft-queued-then-gone');
    expect(stack.gateway.health().upstream).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('circuit breaker: stops hammering a failing upstream, recovers by itself', () => {
  let stack: Stack;
  const logs = captureLogs();
  const COOLDOWN_MS = 1_500;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ...NO_CACHE,
        DASHSCOPE_BREAKER_THRESHOLD: '3',
        DASHSCOPE_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
        DASHSCOPE_RETRY_MAX: '0',
        DASHSCOPE_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'info',
      },
      logs: logs.stream,
    });
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    stack.sim.clearFaults();
    // Start each test from a closed circuit: wait out an open one, then let a probe succeed.
    await waitFor(() => stack.gateway.health().upstream.circuit !== 'open', COOLDOWN_MS + 1_000);
    await stack.query(JobByIdDocument, { id: ID });
    expect(stack.gateway.health().upstream.circuit).toBe('closed');
  });
  const cooldown = () => waitFor(() => stack.gateway.health().upstream.circuit === 'half-open', COOLDOWN_MS + 1_000);

  const fail = () => stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 500, code: 'InternalError' } });
  const ready = async () => {
    const response = await fetch(`${stack.url}/ready`);
    return { status: response.status, body: (await response.json()) as { upstream: { circuit: string } } };
  };

  it('opens after 3 consecutive failures, then fails fast with CircuitOpen and no upstream call', async () => {
    fail();
    const before = stack.sim.calls.length;
    for (let i = 0; i < 3; i += 1) {
      const result = await stack.query(JobByIdDocument, { id: ID });
      expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'InternalError', httpStatus: 500 });
    }
    expect(stack.sim.count('getJob', before)).toBe(3);

    for (let i = 0; i < 5; i += 1) {
      const result = await stack.query(JobByIdDocument, { id: ID });
      expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'CircuitOpen', httpStatus: null });
    }
    expect(stack.sim.count('getJob', before)).toBe(3);
    // Still ready: the outage is the upstream's, and the gateway keeps answering typed errors.
    expect(await ready()).toMatchObject({ status: 200, body: { upstream: { circuit: 'open' } } });
    expect(logs.entries().some((entry) => entry.msg === 'upstream circuit open' && entry.level === 40)).toBe(true);
  });

  it('half-open after the cooldown: one probe goes through; its success closes the circuit', async () => {
    fail();
    for (let i = 0; i < 3; i += 1) await stack.query(JobByIdDocument, { id: ID });
    expect(stack.gateway.health().upstream.circuit).toBe('open');
    stack.sim.clearFaults();
    await cooldown();

    // A slow probe; a second caller arriving meanwhile is refused at once rather than piling on.
    // (It asks for another job: the same one would share the probe's in-flight call.)
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'delay', ms: 600 } });
    const before = stack.sim.calls.length;
    const probe = stack.query(JobByIdDocument, { id: ID });
    await waitFor(() => stack.sim.calls.length > before);
    const otherId = stack.sim.jobs().find((job) => job.job_id !== ID)!.job_id;
    const meanwhile = await stack.query(JobByIdDocument, { id: otherId });
    expect(meanwhile.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'CircuitOpen' });
    expect((await probe).data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: ID });
    expect(stack.sim.count('getJob', before)).toBe(1);

    expect(stack.gateway.health().upstream.circuit).toBe('closed');
    const after = await stack.query(JobByIdDocument, { id: ID });
    expect(after.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob' });
    expect(logs.entries().some((entry) => entry.msg === 'upstream circuit closed')).toBe(true);
  });

  it('a failed probe opens the circuit for another cooldown', async () => {
    fail();
    for (let i = 0; i < 3; i += 1) await stack.query(JobByIdDocument, { id: ID });
    await cooldown();
    const before = stack.sim.calls.length;
    const probe = await stack.query(JobByIdDocument, { id: ID });
    expect(probe.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'InternalError' });
    const next = await stack.query(JobByIdDocument, { id: ID });
    expect(next.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'CircuitOpen' });
    expect(stack.sim.count('getJob', before)).toBe(1);
  });

  it('4xx answers are not failures: 404s and 401s never open the circuit', async () => {
    stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 401, code: 'InvalidApiKey' } });
    for (let i = 0; i < 5; i += 1) await stack.query(JobByIdDocument, { id: ID });
    stack.sim.clearFaults();
    for (let i = 0; i < 5; i += 1) await stack.query(JobByIdDocument, { id: `ft-missing-${i}` });
    expect(stack.gateway.health().upstream.circuit).toBe('closed');
  });
});

describe('retries and the breaker together', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ...NO_CACHE,
        DASHSCOPE_BREAKER_THRESHOLD: '2',
        DASHSCOPE_RETRY_MAX: '3',
        DASHSCOPE_RETRY_BASE_DELAY_MS: '10',
        DASHSCOPE_RETRY_MAX_DELAY_MS: '20',
        DASHSCOPE_TIMEOUT_MS: '1000',
      },
    });
  });
  afterAll(() => stack.close());

  it('a retry that meets an open circuit stops and answers the last real failure (status and requestId)', async () => {
    stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 503, code: 'ServiceUnavailable' } });
    const result = await stack.query(JobByIdDocument, { id: ID });
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'UpstreamError',
      code: 'ServiceUnavailable',
      httpStatus: 503,
      requestId: stack.sim.calls.at(-1)!.requestId,
    });
    // Two attempts opened the circuit; the third retry was refused locally.
    expect(stack.sim.count('getJob')).toBe(2);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
