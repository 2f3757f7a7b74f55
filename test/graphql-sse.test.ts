import { print } from 'graphql';
import { type Client, createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { JobByIdDocument, type WatchJobStatusSubscription, WatchJobStatusDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * graphql-sse's own client, both of its modes, against the gateway over HTTP: "distinct
 * connections" (its default: one event stream per operation, served by Yoga at /graphql) and
 * "single connection" (`singleConnection: true`: one event stream for every operation, at
 * /graphql/stream). Every HTTP request the client makes is recorded.
 */

const INTERVAL_MS = 100;
const WATCH = print(WatchJobStatusDocument);

function liveJob(id: string): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: id, job_name: id, status: 'PENDING', create_time: '2026-11-23 09:00:00' };
}

function sseClient(url: string, singleConnection: boolean) {
  const requests: string[] = [];
  const client = createClient({
    url,
    singleConnection,
    retryAttempts: 0,
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(init?.method ?? 'GET');
      return fetch(input, init);
    },
  });
  return { client, requests };
}

type Status = WatchJobStatusSubscription['fineTuneStatus'];
const statusOf = (event: Status) => (event.__typename === 'FineTuneJob' ? event.status : event.__typename);

/** Reads a subscription's statuses while `drive` moves the job upstream, until the stream completes. */
async function watchUntilDone(client: Client, id: string, onEvent: (status: string) => void): Promise<string[]> {
  const statuses: string[] = [];
  for await (const result of client.iterate<WatchJobStatusSubscription>({ query: WATCH, variables: { id } })) {
    expect(result.errors).toBeUndefined();
    const status = statusOf(result.data!.fineTuneStatus);
    statuses.push(status);
    onEvent(status);
  }
  return statuses;
}

describe('graphql-sse client', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_POLL_INTERVAL_MS: String(INTERVAL_MS), GRAPHQL_SSE_RESERVATION_TIMEOUT_MS: '300' } });
  });
  afterAll(() => stack.close());

  /** Moves a job PENDING -> RUNNING -> SUCCEEDED, one step per status seen. */
  const driver = (id: string) => (status: string) => {
    if (status === 'PENDING') stack.sim.updateJob(id, { status: 'RUNNING' });
    if (status === 'RUNNING') stack.sim.updateJob(id, { status: 'SUCCEEDED', end_time: '2026-11-23 09:30:00', finetuned_output: 'ft-out' });
  };

  it('distinct connections (the default) at /graphql: fineTuneStatus streams every status and completes', async () => {
    const id = 'ft-202611230900-sse-distinct';
    stack.sim.upsertJob(liveJob(id));
    const { client, requests } = sseClient(`${stack.url}/graphql`, false);
    expect(await watchUntilDone(client, id, driver(id))).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(requests).toEqual(['POST']);
    client.dispose();
  });

  it('single connection at /graphql/stream: two subscriptions and a query share one event stream', async () => {
    const ids = ['ft-202611230900-sse-single-a', 'ft-202611230900-sse-single-b'];
    for (const id of ids) stack.sim.upsertJob(liveJob(id));
    const { client, requests } = sseClient(`${stack.url}/graphql/stream`, true);
    const [a, b, query] = await Promise.all([
      watchUntilDone(client, ids[0]!, driver(ids[0]!)),
      watchUntilDone(client, ids[1]!, driver(ids[1]!)),
      (async () => {
        for await (const result of client.iterate({ query: print(JobByIdDocument), variables: { id: EXAMPLE_JOB_ID } })) return result;
        return null;
      })(),
    ]);
    expect(a).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(b).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(query?.data).toMatchObject({ fineTune: { __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED' } });
    // One reservation, one event stream, one POST per operation.
    expect(requests.filter((method) => method === 'PUT')).toHaveLength(1);
    expect(requests.filter((method) => method === 'GET')).toHaveLength(1);
    expect(requests.filter((method) => method === 'POST')).toHaveLength(3);
    client.dispose();
  });

  it('errors are data there too: an unknown job is a NotFoundError event, then the stream completes', async () => {
    const { client } = sseClient(`${stack.url}/graphql/stream`, true);
    const results = [];
    for await (const result of client.iterate<WatchJobStatusSubscription>({ query: WATCH, variables: { id: 'ft-000000000000-none' } }))
      results.push(result);
    expect(results).toEqual([{ data: { fineTuneStatus: expect.objectContaining({ __typename: 'NotFoundError', code: 'NotFound' }) } }]);
    client.dispose();
  });

  it('the stream endpoint gets the same request checks as /graphql, with no upstream call', async () => {
    const since = stack.sim.calls.length;
    const body = JSON.stringify({ query: '{ fineTunes { __typename } }' });
    const post = (init: RequestInit) => fetch(`${stack.url}/graphql/stream`, { method: 'POST', ...init });
    // Cross-site: a form-like POST a browser sends without a preflight.
    const textPlain = await post({ headers: { 'content-type': 'text/plain;charset=application/json', accept: 'text/event-stream' }, body });
    expect(textPlain.status).toBe(403);
    expect(await textPlain.text()).toContain('CSRF_PREVENTED');
    // Body limit.
    const huge = await post({
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: ' '.repeat(stack.config.limits.maxBodyBytes + 1),
    });
    expect(huge.status).toBe(413);
    // The operation limits (validation) and operation-name limit.
    const aliases = Array.from(
      { length: stack.config.limits.maxAliases + 1 },
      (_, i) => `a${i}: fineTune(id: "${EXAMPLE_JOB_ID}") { __typename }`,
    ).join(' ');
    const tooMany = await post({
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `{ ${aliases} }` }),
    });
    // Refused before execution; the message is graphql-sse's (Yoga's plugin hands it the validation
    // errors in a shape the library does not recognise, so it answers "Unable to detect operation AST").
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).not.toContain('"data"');
    const longName = await post({
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: '{ __typename }', operationName: 'x'.repeat(300) }),
    });
    expect(longName.status).toBe(400);
    expect(stack.sim.calls.length).toBe(since);
  });

  it('a reservation whose event stream never connects is dropped after GRAPHQL_SSE_RESERVATION_TIMEOUT_MS', async () => {
    const reserve = () => fetch(`${stack.url}/graphql/stream`, { method: 'PUT' });
    const connect = (token: string) =>
      fetch(`${stack.url}/graphql/stream`, { headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });
    const kept = await (await reserve()).text();
    const dropped = await (await reserve()).text();
    expect(kept).toMatch(/^[0-9a-f-]{36}$/);
    const live = await connect(kept);
    expect(live.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Gone: a GET with its token is no longer that stream (graphql-sse then reads it as a distinct-connection request without a query).
    const late = await connect(dropped);
    expect(late.status).toBe(400);
    // The connected one was not touched: it is still open.
    expect((await connect(kept)).status).toBe(409);
    await live.body?.cancel();
  });
});

describe('PERSISTED_OPERATIONS_ONLY=true', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { PERSISTED_OPERATIONS_MANIFEST: 'examples/generated/persisted-documents.json', PERSISTED_OPERATIONS_ONLY: 'true' },
    });
  });
  afterAll(() => stack.close());

  it('serves no /graphql/stream (its protocol sends query texts)', async () => {
    const response = await fetch(`${stack.url}/graphql/stream`, { method: 'PUT' });
    expect(response.status).toBe(404);
  });
});
