import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobByIdDocument, JobsWithDetailsDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

describe('DataLoader batching and per-request isolation', () => {
  let stack: Stack;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack();
    ids = stack.sim
      .jobs()
      .slice(10, 15)
      .map((job) => job.job_id);
  });
  afterAll(() => stack.close());

  it('20 aliases over 5 distinct ids cost exactly 5 upstream GETs', async () => {
    const fields = Array.from(
      { length: 20 },
      (_, i) => `a${i}: fineTune(id: "${ids[i % 5]}") { __typename ... on FineTuneJob { id status } }`,
    );
    const before = stack.sim.calls.length;
    const { body } = await stack.raw({ query: `{ ${fields.join('\n')} }` });
    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(5);
    expect(new Set(calls.map((call) => call.jobId))).toEqual(new Set(ids));
    for (let i = 0; i < 20; i++) expect(body.data[`a${i}`]).toMatchObject({ __typename: 'FineTuneJob', id: ids[i % 5] });
  });

  it('runs distinct ids concurrently', async () => {
    stack.sim.setLatency(150);
    try {
      const started = Date.now();
      const fields = ids.map((id, i) => `a${i}: fineTune(id: "${id}") { __typename }`);
      await stack.raw({ query: `{ ${fields.join(' ')} }` });
      // Sequential would take 5 × 150 ms.
      expect(Date.now() - started).toBeLessThan(600);
    } finally {
      stack.sim.setLatency(0);
    }
  });

  it('a missing id fails only its own field', async () => {
    const before = stack.sim.calls.length;
    const { body } = await stack.raw({
      query: `{ ok: fineTune(id: "${ids[0]}") { __typename } missing: fineTune(id: "ft-000000000000-none") { __typename ... on Error { code requestId } } }`,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.ok).toEqual({ __typename: 'FineTuneJob' });
    const missingCall = stack.sim.calls.slice(before).find((call) => call.jobId === 'ft-000000000000-none');
    expect(body.data.missing).toEqual({ __typename: 'NotFoundError', code: 'NotFound', requestId: missingCall?.requestId });
  });

  it('a list page primes the loader: fineTune(id) of a listed job costs no GET', async () => {
    const before = stack.sim.calls.length;
    const result = await stack.query(JobsWithDetailsDocument, { page: { number: 1, size: 5 } });
    expect(result.data?.first).toMatchObject({ __typename: 'FineTuneJob', id: 'ft-202410291653-1c7f' });
    const calls = stack.sim.calls.slice(before);
    // Both root fields start together, so the by-id field may race the list; it must never cost
    // more than one GET, and the list exactly one call.
    expect(calls.filter((call) => call.endpoint === 'listJobs')).toHaveLength(1);
    expect(calls.filter((call) => call.endpoint === 'getJob').length).toBeLessThanOrEqual(1);
  });

  it('two concurrent requests never share a loader, even for the same id', async () => {
    // Two tenants own a job with the same id but different contents; callers forward their own keys.
    const shared = { ...stack.sim.jobs()[3]!, job_id: 'ft-same-id' };
    const tenants = { 'sk-tenant-a': [{ ...shared, status: 'RUNNING' }], 'sk-tenant-b': [{ ...shared, status: 'FAILED' }] };
    const forwarding = await startStack({ env: { DASHSCOPE_FORWARD_AUTH: 'true' }, simulator: { tenants, latencyMs: 50 } });
    try {
      const [a, b] = await Promise.all([
        forwarding.query(JobByIdDocument, { id: 'ft-same-id' }, { authorization: 'Bearer sk-tenant-a' }),
        forwarding.query(JobByIdDocument, { id: 'ft-same-id' }, { authorization: 'Bearer sk-tenant-b' }),
      ]);
      expect(a.data?.fineTune).toMatchObject({ id: 'ft-same-id', status: 'RUNNING' });
      expect(b.data?.fineTune).toMatchObject({ id: 'ft-same-id', status: 'FAILED' });
      expect(forwarding.sim.calls.map((call) => call.apiKey).sort()).toEqual(['sk-tenant-a', 'sk-tenant-b']);
    } finally {
      await forwarding.close();
    }
  });

  it('a job still running is fetched fresh by every request', async () => {
    const running = stack.sim.jobs().find((job) => job.status === 'RUNNING')!;
    const first = await stack.query(JobByIdDocument, { id: running.job_id });
    expect(first.data?.fineTune).toMatchObject({ status: 'RUNNING' });
    stack.sim.updateJob(running.job_id, { status: 'SUCCEEDED' });
    const before = stack.sim.calls.length;
    const second = await stack.query(JobByIdDocument, { id: running.job_id });
    expect(stack.sim.calls.length).toBe(before + 1);
    expect(second.data?.fineTune).toMatchObject({ status: 'SUCCEEDED' });
  });
});
