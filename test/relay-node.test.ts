import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * `node(id:)` (Relay Global Object Identification): the same job as `fineTune(id)`, through the
 * same per-request loader; null for an unknown id; other failures in errors[] with typed codes.
 */
describe('node(id:)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: NO_CACHE });
  });
  afterAll(() => stack.close());

  it('answers the same job as fineTune(id), and node and fineTune of one id cost one GET', async () => {
    const id = stack.sim.jobs()[4]!.job_id;
    const since = stack.sim.calls.length;
    const { body } = await stack.raw({
      query: `query($id: ID!) {
        node(id: $id) { __typename id ... on FineTuneJob { status model createdAt } }
        fineTune(id: $id) { ... on FineTuneJob { id status model createdAt } }
      }`,
      variables: { id },
    });
    expect(body.errors).toBeUndefined();
    const { __typename, ...node } = body.data.node;
    expect(__typename).toBe('FineTuneJob');
    expect(node).toEqual(body.data.fineTune);
    expect(stack.sim.count('getJob', since)).toBe(1);
  });

  it('batches: aliases over two distinct ids cost two GETs', async () => {
    const [a, b] = stack.sim
      .jobs()
      .slice(7, 9)
      .map((job) => job.job_id);
    const since = stack.sim.calls.length;
    const { body } = await stack.raw({ query: `{ x: node(id: "${a}") { id } y: node(id: "${b}") { id } z: node(id: "${a}") { id } }` });
    expect(body.data).toEqual({ x: { id: a }, y: { id: b }, z: { id: a } });
    expect(stack.sim.count('getJob', since)).toBe(2);
  });

  it('is null for an unknown id, with no error (Relay reads null as "no such object")', async () => {
    const { status, body } = await stack.raw({ query: '{ node(id: "ft-000000000000-none") { id } }' });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { node: null } });
  });

  it('an id that cannot be a job id: null with an InvalidParameter error, no upstream call', async () => {
    const since = stack.sim.calls.length;
    const { body } = await stack.raw({ query: '{ node(id: "../fine-tunes") { id } }' });
    expect(body.data).toEqual({ node: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['node'], extensions: { code: 'InvalidParameter', requestId: null, argument: 'id' } }),
    ]);
    expect(stack.sim.count(undefined, since)).toBe(0);
  });

  it('an upstream failure: null with the typed code and the upstream request_id in extensions', async () => {
    const id = stack.sim.jobs()[2]!.job_id;
    stack.sim.inject({ endpoint: 'getJob', jobId: id, action: { kind: 'status', status: 429, code: 'Throttling.RateQuota' } });
    try {
      const since = stack.sim.calls.length;
      const { status, body } = await stack.raw({ query: `{ node(id: "${id}") { id } }` });
      const last = stack.sim.calls.at(-1)!;
      expect(stack.sim.count('getJob', since)).toBeGreaterThanOrEqual(1);
      expect(status).toBe(200);
      expect(body.data).toEqual({ node: null });
      expect(body.errors).toEqual([
        expect.objectContaining({ path: ['node'], extensions: { code: 'Throttling.RateQuota', requestId: last.requestId } }),
      ]);
    } finally {
      stack.sim.clearFaults();
    }
  });

  it('each tenant sees only its own job through node(id), in forwarding mode', async () => {
    const template = stack.sim.jobs()[0]!;
    const tenants = {
      'sk-tenant-a': [{ ...template, job_id: 'ft-shared', status: 'RUNNING' }],
      'sk-tenant-b': [{ ...template, job_id: 'ft-other', status: 'FAILED' }],
    };
    const forwarding = await startStack({ env: { DASHSCOPE_FORWARD_AUTH: 'true' }, simulator: { tenants } });
    try {
      const query = { query: '{ node(id: "ft-shared") { id ... on FineTuneJob { status } } }' };
      const [a, b] = await Promise.all([
        forwarding.raw(query, { authorization: 'Bearer sk-tenant-a' }),
        forwarding.raw(query, { authorization: 'Bearer sk-tenant-b' }),
      ]);
      expect(a.body).toEqual({ data: { node: { id: 'ft-shared', status: 'RUNNING' } } });
      expect(b.body).toEqual({ data: { node: null } });
    } finally {
      await forwarding.close();
    }
  });
});
