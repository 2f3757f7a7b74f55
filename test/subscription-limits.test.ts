import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { WatchJobStatusDocument, type WatchJobStatusSubscription } from './generated/graphql.js';
import { type SseSubscription, subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/** GRAPHQL_MAX_SUBSCRIPTIONS(_PER_CLIENT) over real SSE, with the upstream calls counted at the simulator. */

const LIVE_ID = 'ft-202611230900-live';
const KEY_A = 'sk-subscriber-a-0123456789';
const KEY_B = 'sk-subscriber-b-0123456789';

function liveJob(): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: LIVE_ID, job_name: LIVE_ID, status: 'RUNNING', create_time: '2026-11-23 09:00:00' };
}

type Subscription = SseSubscription<WatchJobStatusSubscription>;

async function open(stack: Stack, headers: Record<string, string> = {}): Promise<{ subscription: Subscription; first: unknown }> {
  const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: LIVE_ID }, { headers });
  expect(subscription.status).toBe(200);
  return { subscription, first: await subscription.next() };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const job = { data: { fineTuneStatus: expect.objectContaining({ __typename: 'FineTuneJob', id: LIVE_ID }) } };
const refused = (scope: 'client' | 'total', limit: number) => ({
  errors: [expect.objectContaining({ extensions: { code: 'SUBSCRIPTION_LIMIT', limit, scope } })],
});

describe('subscriptions per client (by remote address, server key) and in total', () => {
  let stack: Stack;
  const live: Subscription[] = [];
  beforeAll(async () => {
    stack = await startStack({
      env: { GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT: '3', GRAPHQL_MAX_SUBSCRIPTIONS: '10', DASHSCOPE_POLL_INTERVAL_MS: '60000' },
    });
    stack.sim.upsertJob(liveJob());
  });
  afterEach(() => {
    for (const subscription of live.splice(0)) subscription.close();
  });
  afterAll(() => stack.close());

  it('a 4th subscription from one address gets SUBSCRIPTION_LIMIT and costs nothing; closing one makes room', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { subscription, first } = await open(stack);
      live.push(subscription);
      expect(first).toMatchObject(job);
    }
    expect(stack.gateway.subscriptions.total()).toBe(3);
    const calls = stack.sim.calls.length;

    const { subscription: over, first } = await open(stack);
    expect(first).toMatchObject(refused('client', 3));
    expect(await over.next()).toBeNull();
    expect(stack.sim.calls.length).toBe(calls);
    expect(stack.gateway.subscriptions.total()).toBe(3);

    // A client going away gives its place back.
    live.shift()!.close();
    await waitFor(() => stack.gateway.subscriptions.total() === 2);
    const { subscription, first: again } = await open(stack);
    live.push(subscription);
    expect(again).toMatchObject(job);
  });
});

describe('subscriptions per credential (forwarding mode) and in total', () => {
  let stack: Stack;
  const live: Subscription[] = [];
  beforeAll(async () => {
    stack = await startStack({
      env: {
        DASHSCOPE_FORWARD_AUTH: 'true',
        GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT: '3',
        GRAPHQL_MAX_SUBSCRIPTIONS: '4',
        DASHSCOPE_POLL_INTERVAL_MS: '60000',
      },
      simulator: { tenants: { [KEY_A]: [liveJob()], [KEY_B]: [liveJob()] } },
    });
  });
  afterAll(async () => {
    for (const subscription of live.splice(0)) subscription.close();
    await stack.close();
  });

  it('one key over its share is refused (client); another key fills the rest; then everyone is refused (total)', async () => {
    const a = { authorization: `Bearer ${KEY_A}` };
    const b = { authorization: `Bearer ${KEY_B}` };
    for (let i = 0; i < 3; i += 1) {
      const { subscription, first } = await open(stack, a);
      live.push(subscription);
      expect(first).toMatchObject(job);
    }
    // Same address, another credential: counted apart.
    expect((await open(stack, a)).first).toMatchObject(refused('client', 3));
    const { subscription, first } = await open(stack, b);
    live.push(subscription);
    expect(first).toMatchObject(job);
    expect((await open(stack, b)).first).toMatchObject(refused('total', 4));
    expect(stack.gateway.subscriptions.total()).toBe(4);

    for (const open of live.splice(0)) open.close();
    await waitFor(() => stack.gateway.subscriptions.total() === 0);
  });
});
