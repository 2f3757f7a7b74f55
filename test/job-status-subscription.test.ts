import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEMO_API_KEY, vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { SimCall } from '../src/simulator/server.js';
import type { WireJob } from '../src/upstream/wire.js';
import { WatchJobStatusDocument, type WatchJobStatusSubscription } from './generated/graphql.js';
import { type Stack, type StackOptions, startStack } from './support/stack.js';
import { type SseSubscription, type SubscribeOptions, subscribe } from './support/sse.js';

/** `fineTuneStatus` over real SSE, against the simulator, with the upstream calls counted. */

const INTERVAL_MS = 100;
const LIVE_ID = 'ft-202611230900-live';

function liveJob(id = LIVE_ID, status = 'PENDING'): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: id, job_name: id, status, create_time: '2026-11-23 09:00:00' };
}

type Event = WatchJobStatusSubscription['fineTuneStatus'];

async function watch(stack: Stack, id: string, options?: SubscribeOptions): Promise<SseSubscription<WatchJobStatusSubscription>> {
  const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id }, options);
  expect(subscription.status).toBe(200);
  expect(subscription.contentType).toMatch(/^text\/event-stream/);
  return subscription;
}

async function nextEvent(subscription: SseSubscription<WatchJobStatusSubscription>): Promise<Event> {
  const result = await subscription.next();
  expect(result?.errors).toBeUndefined();
  if (!result?.data) throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.data.fineTuneStatus;
}

function statusOf(event: Event): string {
  if (event.__typename !== 'FineTuneJob') throw new Error(`expected a job, got ${JSON.stringify(event)}`);
  return event.status;
}

function jobCalls(stack: Stack, id: string, since = 0): SimCall[] {
  return stack.sim.calls.slice(since).filter((call) => call.endpoint === 'getJob' && call.jobId === id);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function startLiveStack(options: StackOptions = {}): Promise<Stack> {
  // The hub's own backoff is under test here, so the upstream retry layer stays out of the way.
  return startStack({ ...options, env: { DASHSCOPE_POLL_INTERVAL_MS: String(INTERVAL_MS), DASHSCOPE_RETRY_MAX: '0', ...options.env } });
}

describe('fineTuneStatus: one job moving PENDING -> RUNNING -> SUCCEEDED', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startLiveStack();
  });
  afterAll(() => stack.close());

  it('emits each status once to every subscriber, completes, and costs one shared poller', async () => {
    stack.sim.upsertJob(liveJob());
    const since = stack.sim.calls.length;
    const started = Date.now();
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => watch(stack, LIVE_ID)));
    // One of them over GET, without any CSRF header (as a browser's EventSource sends it).
    subscribers.push(await watch(stack, LIVE_ID, { method: 'GET' }));

    const seen = subscribers.map(() => [] as string[]);
    const step = async (): Promise<void> => {
      const events = await Promise.all(subscribers.map(nextEvent));
      events.forEach((event, index) => {
        seen[index]!.push(statusOf(event));
      });
    };

    await step();
    expect(stack.gateway.jobStatus.pollers).toBe(1);
    stack.sim.updateJob(LIVE_ID, { status: 'RUNNING' });
    await step();
    stack.sim.updateJob(LIVE_ID, { status: 'SUCCEEDED', end_time: '2026-11-23 09:30:00', finetuned_output: 'qwen3-14b-ft-live' });
    await step();

    for (const statuses of seen) expect(statuses).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    for (const subscriber of subscribers) {
      expect(await subscriber.next()).toBeNull();
      expect(subscriber.completed).toBe(true);
    }
    const elapsed = Date.now() - started;

    // One poller: its calls never overlap (each waits the interval after the previous reply) and
    // their number fits the elapsed time; six pollers would have made ~6x as many, side by side.
    const calls = jobCalls(stack, LIVE_ID, since);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 2);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS - 2);
    expect(new Set(calls.map((call) => call.apiKey))).toEqual(new Set([DEMO_API_KEY]));

    // Terminal: the poller is gone and the upstream hears nothing more about the job.
    expect(stack.gateway.jobStatus.pollers).toBe(0);
    const after = stack.sim.calls.length;
    await sleep(INTERVAL_MS * 3);
    expect(jobCalls(stack, LIVE_ID, after)).toHaveLength(0);
  });

  it('sends a late subscriber the current state first, from the running poller', async () => {
    const id = 'ft-202611230901-late';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    const first = await watch(stack, id);
    expect(statusOf(await nextEvent(first))).toBe('RUNNING');
    const late = await watch(stack, id);
    expect(statusOf(await nextEvent(late))).toBe('RUNNING');
    // Served from the poller's last reply, not a call of its own: the calls keep the poller's rhythm.
    expect(stack.gateway.jobStatus.pollers).toBe(1);
    const calls = jobCalls(stack, id);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS - 2);
    stack.sim.updateJob(id, { status: 'FAILED', end_time: '2026-11-23 09:31:00' });
    for (const subscriber of [first, late]) {
      expect(statusOf(await nextEvent(subscriber))).toBe('FAILED');
      expect(await subscriber.next()).toBeNull();
    }
  });

  it('stops polling when the last subscriber goes away', async () => {
    const id = 'ft-202611230902-gone';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    const a = await watch(stack, id);
    const b = await watch(stack, id);
    await Promise.all([nextEvent(a), nextEvent(b)]);
    a.close();
    await sleep(INTERVAL_MS * 3);
    // One subscriber left: still polling.
    const since = stack.sim.calls.length;
    await until(() => jobCalls(stack, id, since).length >= 2, 'two more polls');
    expect(stack.gateway.jobStatus.pollers).toBe(1);

    b.close();
    await until(() => stack.gateway.jobStatus.pollers === 0, 'the poller to stop');
    // A poll already on the wire when it stopped may still land: let it, then listen.
    await sleep(INTERVAL_MS);
    const after = stack.sim.calls.length;
    await sleep(INTERVAL_MS * 4);
    expect(jobCalls(stack, id, after)).toHaveLength(0);
  });

  it('emits an already finished job once and completes', async () => {
    const [example] = vendorExampleJobs();
    const since = stack.sim.calls.length;
    const subscription = await watch(stack, example!.job_id);
    const events = await subscription.rest();
    expect(events.map((event) => event.data?.fineTuneStatus)).toEqual([
      expect.objectContaining({ __typename: 'FineTuneJob', id: example!.job_id, status: 'SUCCEEDED', isTerminal: true }),
    ]);
    expect(subscription.completed).toBe(true);
    expect(jobCalls(stack, example!.job_id, since)).toHaveLength(1);
  });
});

describe('fineTuneStatus: errors are data, then the stream completes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startLiveStack();
  });
  afterAll(() => stack.close());
  afterEach(() => stack.sim.clearFaults());

  it('an unknown job: one NotFoundError with the upstream request id, one upstream call', async () => {
    const since = stack.sim.calls.length;
    const subscription = await watch(stack, 'ft-000000000000-none');
    const events = await subscription.rest();
    const calls = jobCalls(stack, 'ft-000000000000-none', since);
    expect(calls).toHaveLength(1);
    expect(events).toEqual([
      {
        data: {
          fineTuneStatus: { __typename: 'NotFoundError', message: expect.any(String), code: 'NotFound', requestId: calls[0]!.requestId },
        },
      },
    ]);
    expect(subscription.completed).toBe(true);
    expect(stack.gateway.jobStatus.pollers).toBe(0);
  });

  it('an id that would change the upstream path: InvalidParameterError, no upstream call', async () => {
    const since = stack.sim.calls.length;
    const events = await (await watch(stack, '../secrets')).rest();
    expect(events).toEqual([
      {
        data: {
          fineTuneStatus: expect.objectContaining({ __typename: 'InvalidParameterError', code: 'InvalidParameter', argument: 'id' }),
        },
      },
    ]);
    expect(stack.sim.calls.length).toBe(since);
  });

  it('throttling slows the poller down (Retry-After honoured) without bothering the subscriber', async () => {
    const id = 'ft-202611230903-slow';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    stack.sim.inject({
      endpoint: 'getJob',
      jobId: id,
      times: 1,
      action: { kind: 'status', status: 429, code: 'Throttling.RateQuota', retryAfter: '1' },
    });
    const since = stack.sim.calls.length;
    const subscription = await watch(stack, id);
    expect(statusOf(await nextEvent(subscription))).toBe('RUNNING');
    const [throttled, retried] = jobCalls(stack, id, since);
    expect(throttled!.status).toBe(429);
    expect(retried!.status).toBe(200);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(990);
    subscription.close();
  });

  it('throttling without Retry-After backs off exponentially from the interval', async () => {
    const id = 'ft-202611230904-slow';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    stack.sim.inject({ endpoint: 'getJob', jobId: id, times: 2, action: { kind: 'status', status: 429, code: 'Throttling' } });
    const since = stack.sim.calls.length;
    const subscription = await watch(stack, id);
    expect(statusOf(await nextEvent(subscription))).toBe('RUNNING');
    const calls = jobCalls(stack, id, since);
    expect(calls.map((call) => call.status).slice(0, 3)).toEqual([429, 429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(2 * INTERVAL_MS - 2);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(4 * INTERVAL_MS - 2);
    subscription.close();
  });

  it('an upstream that keeps failing: retried with backoff, then one UpstreamError', async () => {
    const id = 'ft-202611230905-down';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    stack.sim.inject({ endpoint: 'getJob', jobId: id, action: { kind: 'status', status: 500 } });
    const since = stack.sim.calls.length;
    const events = await (await watch(stack, id)).rest();
    const calls = jobCalls(stack, id, since);
    expect(calls.map((call) => call.status)).toEqual([500, 500, 500]);
    expect(events).toEqual([
      {
        data: { fineTuneStatus: expect.objectContaining({ __typename: 'UpstreamError', httpStatus: 500, requestId: calls[2]!.requestId }) },
      },
    ]);
  });

  it('a failure that heals: the subscriber only sees the job', async () => {
    const id = 'ft-202611230906-blip';
    stack.sim.upsertJob(liveJob(id, 'RUNNING'));
    stack.sim.inject({ endpoint: 'getJob', jobId: id, times: 1, action: { kind: 'status', status: 503 } });
    const subscription = await watch(stack, id);
    expect(statusOf(await nextEvent(subscription))).toBe('RUNNING');
    subscription.close();
  });
});

describe('fineTuneStatus: pollers are per credential', () => {
  const OTHER_KEY = 'sk-simulator-other-tenant';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startLiveStack({
      env: { DASHSCOPE_API_KEY: undefined, DASHSCOPE_FORWARD_AUTH: 'true' },
      simulator: { tenants: { [DEMO_API_KEY]: [liveJob(LIVE_ID, 'RUNNING')], [OTHER_KEY]: [liveJob(LIVE_ID, 'PENDING')] } },
    });
  });
  afterAll(() => stack.close());

  it('two callers watching the same job id each get their own poller and their own data', async () => {
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    const since = stack.sim.calls.length;
    const [demoA, demoB, other] = await Promise.all([
      watch(stack, LIVE_ID, as(DEMO_API_KEY)),
      watch(stack, LIVE_ID, as(DEMO_API_KEY)),
      watch(stack, LIVE_ID, as(OTHER_KEY)),
    ]);
    expect(statusOf(await nextEvent(demoA!))).toBe('RUNNING');
    expect(statusOf(await nextEvent(demoB!))).toBe('RUNNING');
    expect(statusOf(await nextEvent(other!))).toBe('PENDING');
    expect(stack.gateway.jobStatus.pollers).toBe(2);

    stack.sim.updateJob(LIVE_ID, { status: 'RUNNING' }, OTHER_KEY);
    expect(statusOf(await nextEvent(other!))).toBe('RUNNING');
    const keys = new Set(jobCalls(stack, LIVE_ID, since).map((call) => call.apiKey));
    expect(keys).toEqual(new Set([DEMO_API_KEY, OTHER_KEY]));
    for (const subscription of [demoA, demoB, other]) subscription!.close();
    await until(() => stack.gateway.jobStatus.pollers === 0, 'the pollers to stop');
    // A poll already on the wire when they stopped may still land: let it, before the next test counts.
    await sleep(INTERVAL_MS);
  });

  it('no credential: AuthenticationError, no upstream call', async () => {
    const since = stack.sim.calls.length;
    const events = await (await watch(stack, LIVE_ID)).rest();
    expect(events).toEqual([
      { data: { fineTuneStatus: expect.objectContaining({ __typename: 'AuthenticationError', code: 'MissingCredential' }) } },
    ]);
    expect(stack.sim.calls.length).toBe(since);
  });
});

describe('fineTuneStatus: gateway close()', () => {
  it('stops every poller and ends the streams', async () => {
    const stack = await startLiveStack();
    try {
      stack.sim.upsertJob(liveJob());
      const subscription = await watch(stack, LIVE_ID);
      expect(statusOf(await nextEvent(subscription))).toBe('PENDING');
      expect(stack.gateway.jobStatus.pollers).toBe(1);
      await stack.gateway.close();
      expect(stack.gateway.jobStatus.pollers).toBe(0);
      expect(await subscription.next()).toBeNull();
      await sleep(INTERVAL_MS);
      const after = stack.sim.calls.length;
      await sleep(INTERVAL_MS * 3);
      expect(stack.sim.calls.length).toBe(after);
    } finally {
      await stack.close();
    }
  });
});

describe('DASHSCOPE_POLL_INTERVAL_MS', () => {
  it('defaults to 5 s and rejects values below 10 ms', () => {
    expect(loadConfig({}).pollIntervalMs).toBe(5_000);
    expect(loadConfig({ DASHSCOPE_POLL_INTERVAL_MS: '250' }).pollIntervalMs).toBe(250);
    expect(() => loadConfig({ DASHSCOPE_POLL_INTERVAL_MS: '5' })).toThrow(ConfigError);
  });
});

describe('npm start with a live subscription open', () => {
  it('still exits promptly on SIGTERM, telling the stream the server is going away, then completing it', async () => {
    // No drain period (SHUTDOWN_DRAIN_MS, covered in shutdown.test.ts): this is about exiting.
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0' };
    for (const name of ['DASHSCOPE_API_KEY', 'DASHSCOPE_BASE_URL', 'DASHSCOPE_FORWARD_AUTH']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          const ready = /ready at (http:\/\/\S+\/graphql)/.exec(output);
          if (ready) resolve(ready[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
      });
      // A demo job that stays RUNNING: without the shutdown hook its stream would never end.
      const subscription = await subscribe(url, WatchJobStatusDocument, { id: 'ft-202410290100-9415' });
      expect(statusOf(await nextEvent(subscription))).toBe('RUNNING');
      const started = Date.now();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      // Bounded by the server's keep-alive timeout (5 s) for the connection the stream leaves idle.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await subscription.next()).toMatchObject({ errors: [{ extensions: { code: 'SHUTTING_DOWN' } }] });
      expect(await subscription.next()).toBeNull();
      expect(subscription.completed).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('fineTuneStatus as GraphiQL sends it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startLiveStack();
  });
  afterAll(() => stack.close());

  // Regression: these documents once reached a compiled executor that dropped arguments.
  const documents = {
    'an inline argument': `subscription { fineTuneStatus(id: "ft-202410291653-1c7f") { __typename ... on FineTuneJob { id status } } }`,
    'a variable default': `subscription Watch($id: ID! = "ft-202410291653-1c7f") { fineTuneStatus(id: $id) { __typename ... on FineTuneJob { id status } } }`,
  };
  for (const [name, query] of Object.entries(documents)) {
    it(`accepts ${name}`, async () => {
      const document = parse(query) as TypedDocumentNode<WatchJobStatusSubscription, Record<string, never>>;
      const subscription = await subscribe(`${stack.url}/graphql`, document, {});
      const result = await subscription.next();
      expect(result?.errors).toBeUndefined();
      expect(result?.data?.fineTuneStatus).toEqual({ __typename: 'FineTuneJob', id: 'ft-202410291653-1c7f', status: 'SUCCEEDED' });
      expect(await subscription.next()).toBeNull();
    });
  }
});
