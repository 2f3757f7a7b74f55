import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDemoJobs } from '../src/simulator/fixtures.js';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/** DASHSCOPE_FORWARD_AUTH=true: each caller's own key upstream, and nobody sees anybody else's jobs. */

const KEY_A = 'sk-tenant-a-0123456789';
const KEY_B = 'sk-tenant-b-9876543210';
const jobsA = createDemoJobs({ seed: 1, count: 6, vendorExamples: false, owner: 'uid-a' });
const jobsB = createDemoJobs({ seed: 2, count: 6, vendorExamples: false, owner: 'uid-b' });
const idsA = jobsA.map((job) => job.job_id);
const idsB = jobsB.map((job) => job.job_id);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('forwarding mode (DASHSCOPE_FORWARD_AUTH=true)', () => {
  let stack: Stack;
  beforeAll(async () => {
    expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
    stack = await startStack({
      // A server key in the environment too: forwarding mode must never fall back to it.
      env: { DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_API_KEY: 'sk-server-must-not-be-used', ...NO_CACHE },
      simulator: { tenants: { [KEY_A]: jobsA, [KEY_B]: jobsB, 'sk-server-must-not-be-used': jobsA }, latencyMs: 20 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  it('a caller without a usable Authorization header gets AuthenticationError and costs no upstream call', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
      { authorization: '' },
    ];
    for (const headers of headerSets) {
      const page = await stack.query(JobsPageDocument, {}, headers);
      expect(page.data?.fineTunes).toMatchObject({ __typename: 'AuthenticationError', code: 'MissingCredential', requestId: null });
      const job = await stack.query(JobByIdDocument, { id: idsA[0]! }, headers);
      expect(job.data?.fineTune).toMatchObject({ __typename: 'AuthenticationError', code: 'MissingCredential' });
    }
    expect(stack.sim.calls).toHaveLength(0);
  });

  it('an upstream 401 for the caller key is an AuthenticationError (one call, no retry)', async () => {
    const result = await stack.query(JobsPageDocument, {}, bearer('sk-unknown-key'));
    expect(result.data?.fineTunes).toMatchObject({
      __typename: 'AuthenticationError',
      code: 'InvalidApiKey',
      requestId: stack.sim.calls.at(-1)!.requestId,
    });
    expect(stack.sim.calls).toHaveLength(1);
  });

  it('A, B, A, B one after the other: each sees only its own jobs, with its own key upstream', async () => {
    for (const [key, own, other] of [
      [KEY_A, idsA, idsB],
      [KEY_B, idsB, idsA],
      [KEY_A, idsA, idsB],
      [KEY_B, idsB, idsA],
    ] as const) {
      const before = stack.sim.calls.length;
      const page = await stack.query(JobsPageDocument, { page: { size: 100 } }, bearer(key));
      const ids = (page.data!.fineTunes as { nodes: { id: string }[] }).nodes.map((node) => node.id);
      expect(new Set(ids)).toEqual(new Set(own));

      const mine = await stack.query(JobByIdDocument, { id: own[0]! }, bearer(key));
      expect(mine.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: own[0] });
      const theirs = await stack.query(JobByIdDocument, { id: other[0]! }, bearer(key));
      expect(theirs.data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });

      expect(stack.sim.calls.slice(before).map((call) => call.apiKey)).toEqual([key, key, key]);
    }
  });

  it('A, B, A, B in flight at once (same ids asked by both): no answer carries the other tenant', async () => {
    const callers = [KEY_A, KEY_B, KEY_A, KEY_B, KEY_A, KEY_B, KEY_A, KEY_B];
    const answers = await Promise.all(
      callers.map((key) =>
        stack.raw(
          {
            query: `{
              page: fineTunes(page: { size: 100 }) { ... on JobConnection { nodes { id creator } } }
              a: fineTune(id: "${idsA[1]}") { __typename ... on FineTuneJob { id creator } }
              b: fineTune(id: "${idsB[1]}") { __typename ... on FineTuneJob { id creator } }
            }`,
          },
          bearer(key),
        ),
      ),
    );
    answers.forEach(({ body }, index) => {
      const tenant = callers[index] === KEY_A ? 'a' : 'b';
      const owner = `uid-${tenant}`;
      const nodes = body.data.page.nodes as { id: string; creator: string }[];
      expect(nodes.length).toBe(6);
      expect(nodes.every((node) => node.creator === owner)).toBe(true);
      expect(body.data[tenant]).toMatchObject({ __typename: 'FineTuneJob', creator: owner });
      expect(body.data[tenant === 'a' ? 'b' : 'a']).toMatchObject({ __typename: 'NotFoundError' });
    });
    // Each caller: its list and one GET per id, all with its own key. Identical calls of one tenant
    // in flight at once may share one upstream request; calls of different tenants never do.
    for (const key of [KEY_A, KEY_B]) {
      const calls = stack.sim.calls.filter((call) => call.apiKey === key);
      const lists = calls.filter((call) => call.endpoint === 'listJobs').length;
      const gets = calls.filter((call) => call.endpoint === 'getJob').length;
      expect(lists).toBeGreaterThanOrEqual(1);
      expect(lists).toBeLessThanOrEqual(4);
      expect(gets).toBeGreaterThanOrEqual(2);
      expect(gets).toBeLessThanOrEqual(8);
    }
    expect(stack.sim.calls.every((call) => call.apiKey === KEY_A || call.apiKey === KEY_B)).toBe(true);
    expect(stack.sim.calls.length).toBeLessThanOrEqual(24);
  });

  it('the server key configured alongside forwarding is never sent upstream', async () => {
    await stack.query(JobsPageDocument, {}, bearer(KEY_A));
    await stack.query(JobsPageDocument, {});
    expect(stack.sim.calls.map((call) => call.apiKey)).toEqual([KEY_A]);
  });
});

describe('server-key mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_API_KEY: KEY_A, ...NO_CACHE }, simulator: { tenants: { [KEY_A]: jobsA } } });
  });
  afterAll(() => stack.close());

  it("ignores the caller's Authorization header and uses the server key", async () => {
    const result = await stack.query(JobsPageDocument, {}, bearer(KEY_B));
    expect(result.data?.fineTunes).toMatchObject({ __typename: 'JobConnection', totalCount: 6 });
    expect(stack.sim.calls.at(-1)!.apiKey).toBe(KEY_A);
  });

  it('an upstream 401 (key revoked) is an AuthenticationError, one call, no retry', async () => {
    stack.sim.resetCalls();
    stack.sim.inject({ action: { kind: 'status', status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.' } });
    const result = await stack.query(JobByIdDocument, { id: idsA[0]! });
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'AuthenticationError',
      code: 'InvalidApiKey',
      requestId: stack.sim.calls.at(-1)!.requestId,
    });
    expect(stack.sim.calls).toHaveLength(1);
    stack.sim.clearFaults();
  });
});
