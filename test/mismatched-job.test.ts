import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { WatchJobStatusDocument } from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * The upstream (or something on the way) answers `GET /fine-tunes/A` with job B's body: the gateway
 * must not show B as A. The finished-job cache is on (the default), as in production.
 */
describe('a reply naming another job than the one asked for', () => {
  let stack: Stack;
  let asked: string;
  let other: string;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_RETRY_MAX: '0', DASHSCOPE_POLL_INTERVAL_MS: '100' } });
    const finished = stack.sim.jobs(DEMO_API_KEY).filter((job) => job.status === 'SUCCEEDED');
    asked = finished[0]!.job_id;
    other = finished[1]!.job_id;
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.clearFaults();
    stack.gateway.client.clear();
  });

  const fineTune = (id: string) =>
    stack.raw({
      query:
        'query($id: ID!) { fineTune(id: $id) { __typename ... on FineTuneJob { id } ... on UpstreamError { code requestId httpStatus } } }',
      variables: { id },
    });

  it('is an UpstreamError (MismatchedJob) with the upstream request id, and the asked id is not served from a cache afterwards', async () => {
    stack.sim.inject({ endpoint: 'getJob', jobId: asked, times: 1, action: { kind: 'other-job', jobId: other } });
    const crossed = await fineTune(asked);
    const call = stack.sim.calls.at(-1)!;
    expect(call.jobId).toBe(asked);
    expect(crossed.body).toEqual({
      data: { fineTune: { __typename: 'UpstreamError', code: 'MismatchedJob', requestId: call.requestId, httpStatus: null } },
    });

    // The next ask goes upstream again and gets the asked job.
    const calls = stack.sim.calls.length;
    const again = await fineTune(asked);
    expect(again.body).toEqual({ data: { fineTune: { __typename: 'FineTuneJob', id: asked } } });
    expect(stack.sim.calls.length).toBe(calls + 1);
  });

  it('in one operation with other ids, only the crossed one fails', async () => {
    stack.sim.inject({ endpoint: 'getJob', jobId: asked, times: 1, action: { kind: 'other-job', jobId: other } });
    const { body } = await stack.raw({
      query: `{ a: fineTune(id: "${asked}") { __typename ... on UpstreamError { code } } b: fineTune(id: "${other}") { __typename ... on FineTuneJob { id } } }`,
    });
    expect(body).toEqual({
      data: { a: { __typename: 'UpstreamError', code: 'MismatchedJob' }, b: { __typename: 'FineTuneJob', id: other } },
    });
  });

  it('a subscription never shows the other job as the watched one', async () => {
    stack.sim.inject({ endpoint: 'getJob', jobId: asked, action: { kind: 'other-job', jobId: other } });
    const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: asked });
    const events = await subscription.rest(10_000);
    expect(events.map((event) => event.data?.fineTuneStatus)).toEqual([
      expect.objectContaining({ __typename: 'UpstreamError', code: 'MismatchedJob' }),
    ]);
  });
});
