import { type DocumentNode, Kind, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID, GRAPHIQL_DEFAULT_QUERY } from '../src/graphiql.js';
import { createClientSchema } from '../src/schema/index.js';
import { encodeLogCursor } from '../src/schema/log-cursor.js';
import { VENDOR_EXAMPLE_JOB } from '../src/simulator/job-artifacts.js';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { SimCall } from '../src/simulator/server.js';
import type { WireJob } from '../src/upstream/wire.js';
import { TailJobLogsDocument, type TailJobLogsSubscription } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';
import { type SseSubscription, type SubscribeOptions, subscribe } from './support/sse.js';

/** `fineTuneLogs` over real SSE, against the simulator, with the upstream calls counted. */

const INTERVAL_MS = 100;

function runningJob(id: string): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: id, job_name: id, status: 'RUNNING', create_time: '2026-11-23 09:00:00' };
}

type Tail = SseSubscription<TailJobLogsSubscription>;

async function tail(stack: Stack, id: string, after?: string, options?: SubscribeOptions): Promise<Tail> {
  const subscription = await subscribe(`${stack.url}/graphql`, TailJobLogsDocument, { id, after: after ?? null }, options);
  expect(subscription.status).toBe(200);
  expect(subscription.contentType).toMatch(/^text\/event-stream/);
  return subscription;
}

/** Reads `count` lines (failing on an error event). */
async function lines(subscription: Tail, count: number): Promise<TailJobLogsSubscription['fineTuneLogs'][]> {
  const read: TailJobLogsSubscription['fineTuneLogs'][] = [];
  while (read.length < count) {
    const result = await subscription.next();
    if (result === null) throw new Error(`the stream ended after ${read.length} of ${count} lines`);
    expect(result.errors).toBeUndefined();
    read.push(result.data!.fineTuneLogs);
  }
  return read;
}

const calls = (stack: Stack, endpoint: SimCall['endpoint'], id: string, since: number) =>
  stack.sim.calls.slice(since).filter((call) => call.endpoint === endpoint && call.jobId === id);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('fineTuneLogs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_POLL_INTERVAL_MS: String(INTERVAL_MS), DASHSCOPE_RETRY_MAX: '0' } });
  });
  afterAll(() => stack.close());

  it('20 subscribers tailing one running job: every line once and in order, all complete, one poll per interval', async () => {
    const id = 'ft-202611230900-tail';
    stack.sim.upsertJob(runningJob(id));
    stack.sim.appendLogs(id, ['line 0', 'line 1', 'line 2']);
    const since = stack.sim.calls.length;
    const started = Date.now();
    const subscribers = await Promise.all(Array.from({ length: 18 }, () => tail(stack, id)));
    // Two over GET without any CSRF header, as a browser's EventSource sends them.
    subscribers.push(await tail(stack, id, undefined, { method: 'GET' }), await tail(stack, id, undefined, { method: 'GET' }));
    const received = subscribers.map(() => [] as { offset: number; text: string }[]);
    const readAll = (count: number) =>
      Promise.all(
        subscribers.map(async (subscriber, index) => {
          received[index]!.push(...(await lines(subscriber, count)));
        }),
      );

    await readAll(3);
    expect(stack.gateway.logTail.pollers).toBe(1);
    expect(stack.gateway.jobStatus.pollers).toBe(1);

    // More than one upstream page (1000 lines) at once: the poller reads on at once while pages are full.
    const burst = Array.from({ length: 1_100 }, (_, index) => `burst ${index}`);
    stack.sim.appendLogs(id, burst);
    await readAll(burst.length);
    stack.sim.appendLogs(id, ['line after burst']);
    await readAll(1);

    // The job ends with its last lines written: they are sent, then every stream completes.
    stack.sim.appendLogs(id, ['finetune-job succeeded', '##FT_COMPLETE##']);
    stack.sim.updateJob(id, { status: 'SUCCEEDED', end_time: '2026-11-23 09:30:00', finetuned_output: 'qwen3-14b-ft-tail' });
    await readAll(2);
    for (const subscriber of subscribers) {
      expect(await subscriber.next()).toBeNull();
      expect(subscriber.completed).toBe(true);
    }
    const elapsed = Date.now() - started;

    const expected = stack.sim.logs(id);
    for (const lines of received) {
      expect(lines.map((line) => line.text)).toEqual(expected);
      expect(lines.map((line) => line.offset)).toEqual(expected.map((_, index) => index));
    }

    // One log poller and one status poller for the 20 of them: their calls fit the elapsed time
    // (20 pollers would have made ~20x as many). The burst costs one extra, immediate read.
    const logCalls = calls(stack, 'getJobLogs', id, since);
    const statusCalls = calls(stack, 'getJob', id, since);
    const intervals = Math.floor(elapsed / INTERVAL_MS);
    expect(logCalls.length).toBeGreaterThanOrEqual(4);
    expect(logCalls.length).toBeLessThanOrEqual(intervals + 3);
    expect(statusCalls.length).toBeLessThanOrEqual(intervals + 2);
    expect(new Set(logCalls.map((call) => call.apiKey)).size).toBe(1);
    // Each read starts where the previous one ended: no line was read twice.
    const offsets = logCalls.map((call) => Number(new URL(call.url, 'http://sim').searchParams.get('offset')));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.at(-1)).toBeLessThanOrEqual(expected.length);

    // Ended: no poller is left and the upstream hears nothing more about the job.
    expect(stack.gateway.logTail.pollers).toBe(0);
    expect(stack.gateway.jobStatus.pollers).toBe(0);
    const after = stack.sim.calls.length;
    await sleep(INTERVAL_MS * 3);
    expect(stack.sim.calls.slice(after).filter((call) => call.jobId === id)).toHaveLength(0);
  });

  it('a job that already ended: replays its whole log (two upstream pages) and completes', async () => {
    const since = stack.sim.calls.length;
    const subscriber = await tail(stack, VENDOR_EXAMPLE_JOB);
    const results = await subscriber.rest();
    expect(subscriber.completed).toBe(true);
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    expect(results.map((result) => result.data!.fineTuneLogs.text)).toEqual(stack.sim.logs(VENDOR_EXAMPLE_JOB));
    expect(
      calls(stack, 'getJobLogs', VENDOR_EXAMPLE_JOB, since).map((call) => new URL(call.url, 'http://sim').searchParams.get('offset')),
    ).toEqual(['0', '1000']);
  });

  it('after: a cursor resumes after that line; a late subscriber from the start reads what the poller already passed', async () => {
    const id = 'ft-202611230901-tail';
    stack.sim.upsertJob(runningJob(id));
    stack.sim.appendLogs(id, ['a', 'b', 'c', 'd']);
    const resumed = await tail(stack, id, encodeLogCursor(1));
    expect((await lines(resumed, 2)).map((line) => [line.offset, line.text, line.cursor])).toEqual([
      [2, 'c', encodeLogCursor(2)],
      [3, 'd', encodeLogCursor(3)],
    ]);
    const fromStart = await tail(stack, id);
    expect((await lines(fromStart, 4)).map((line) => line.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(stack.gateway.logTail.pollers).toBe(1);
    stack.sim.appendLogs(id, ['e']);
    stack.sim.updateJob(id, { status: 'FAILED', end_time: '2026-11-23 09:10:00' });
    expect((await resumed.rest()).map((result) => result.data!.fineTuneLogs.text)).toEqual(['e']);
    expect((await fromStart.rest()).map((result) => result.data!.fineTuneLogs.text)).toEqual(['e']);
    expect(resumed.completed && fromStart.completed).toBe(true);
  });

  it('stops polling when the last subscriber goes away', async () => {
    const id = 'ft-202611230902-tail';
    stack.sim.upsertJob(runningJob(id));
    stack.sim.appendLogs(id, ['only line']);
    const subscriber = await tail(stack, id);
    await lines(subscriber, 1);
    subscriber.close();
    await until(() => stack.gateway.logTail.pollers === 0 && stack.gateway.jobStatus.pollers === 0, 'the pollers to stop');
    // A poll already on the wire when they stopped may still land: let it, then listen.
    await sleep(INTERVAL_MS);
    const after = stack.sim.calls.length;
    await sleep(INTERVAL_MS * 4);
    expect(stack.sim.calls.slice(after).filter((call) => call.jobId === id)).toHaveLength(0);
  });

  it('an unknown job: one error event (NotFound, with the request id), then complete; its log is never asked for', async () => {
    const since = stack.sim.calls.length;
    const subscriber = await tail(stack, 'ft-000000000000-none');
    const results = await subscriber.rest();
    const [statusCall] = calls(stack, 'getJob', 'ft-000000000000-none', since);
    expect(results).toHaveLength(1);
    expect(results[0]!.data ?? null).toBeNull();
    expect(results[0]!.errors![0]!.extensions).toMatchObject({ code: 'NotFound', requestId: statusCall!.requestId });
    expect(subscriber.completed).toBe(true);
    expect(calls(stack, 'getJobLogs', 'ft-000000000000-none', since)).toHaveLength(0);
  });

  it('a log that keeps failing ends the stream with an UpstreamError after the lines already read', async () => {
    const id = 'ft-202611230903-tail';
    stack.sim.upsertJob(runningJob(id));
    stack.sim.appendLogs(id, ['before the outage']);
    const subscriber = await tail(stack, id);
    await lines(subscriber, 1);
    stack.sim.inject({ endpoint: 'getJobLogs', jobId: id, action: { kind: 'status', status: 500 } });
    try {
      const results = await subscriber.rest();
      expect(results).toHaveLength(1);
      expect(results[0]!.errors![0]!.extensions).toMatchObject({ code: 'InternalError', httpStatus: 500 });
      expect(results[0]!.errors![0]!.extensions!.requestId).toEqual(expect.any(String));
      expect(subscriber.completed).toBe(true);
    } finally {
      stack.sim.clearFaults();
    }
  });

  it("GraphiQL's tour: every operation validates, and TailLogs sends the example job's last 5 lines, then completes", async () => {
    const tour = parse(GRAPHIQL_DEFAULT_QUERY);
    expect(validate(createClientSchema(), tour)).toEqual([]);
    const tailLogs: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: tour.definitions.filter(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === 'TailLogs',
      ),
    };
    expect(tailLogs.definitions).toHaveLength(1);
    const subscriber = await subscribe(`${stack.url}/graphql`, tailLogs, {});
    const results = await subscriber.rest();
    expect(subscriber.completed).toBe(true);
    expect(results.map((result) => (result.data as TailJobLogsSubscription).fineTuneLogs.text)).toEqual(
      stack.sim.logs(EXAMPLE_JOB_ID).slice(-5),
    );
  });

  it.each([
    ['a bad cursor', VENDOR_EXAMPLE_JOB, 'nope', 'after'],
    ['a bad id', 'ft-../x', undefined, 'id'],
  ])('refuses %s with InvalidParameter and no upstream call', async (_name, id, after, argument) => {
    const since = stack.sim.calls.length;
    const subscriber = await tail(stack, id, after);
    const results = await subscriber.rest();
    expect(results).toHaveLength(1);
    expect(results[0]!.errors![0]!.extensions).toMatchObject({ code: 'InvalidParameter', argument });
    expect(stack.sim.calls.length).toBe(since);
  });
});

describe('fineTuneLogs on the living demo', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      simulator: { living: { startAt: Date.UTC(2026, 0, 1), runningMs: [30_000, 30_000], failureRate: 0 } },
      env: { DASHSCOPE_POLL_INTERVAL_MS: '20' },
    });
  });
  afterAll(() => stack.close());

  it('follows a job from its first line to ##FT_COMPLETE## as the simulated clock moves', async () => {
    stack.sim.advance(20_000);
    const [id] = stack.sim.living!.jobIds() as [string];
    const subscriber = await tail(stack, id);
    const received: string[] = [];
    // The job queues, runs 30 s (a line a second) and succeeds; the tail sees it happen step by step.
    for (let step = 0; step < 12; step++) {
      stack.sim.advance(5_000);
      const total = stack.sim.logs(id).length;
      received.push(...(await lines(subscriber, total - received.length)).map((line) => line.text));
    }
    expect(await subscriber.rest()).toEqual([]);
    expect(subscriber.completed).toBe(true);
    expect(received).toEqual(stack.sim.logs(id));
    expect(received.at(-1)).toMatch(/##FT_COMPLETE##$/);
    expect(received.length).toBeGreaterThan(30);
  });
});
