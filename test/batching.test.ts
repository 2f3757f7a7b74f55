import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobByIdDocument, JobsWithDetailsDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

describe('DataLoader batching and per-request isolation', () => {
  let stack: Stack;
  let ids: string[];
  beforeAll(async () => {
    stack = await startStack();
    ids = stack.sim.jobs().slice(10, 15).map((job) => job.job_id);
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

  it('two concurrent requests never share a loader', async () => {
    stack.sim.setLatency(50);
    try {
      const before = stack.sim.calls.length;
      const [a, b] = await Promise.all([
        stack.query(JobByIdDocument, { id: ids[0]! }),
        stack.query(JobByIdDocument, { id: ids[0]! }),
      ]);
      expect(a.data?.fineTune).toMatchObject({ id: ids[0] });
      expect(b.data?.fineTune).toMatchObject({ id: ids[0] });
      // Each request has its own DataLoader, so each made its own GET.
      expect(stack.sim.calls.slice(before).filter((call) => call.endpoint === 'getJob')).toHaveLength(2);
    } finally {
      stack.sim.setLatency(0);
    }
  });

  it('a request sees its own loader again on the next request (no cross-request cache)', async () => {
    stack.sim.updateJob(ids[1]!, { status: 'FAILED' });
    const before = stack.sim.calls.length;
    const result = await stack.query(JobByIdDocument, { id: ids[1]! });
    expect(stack.sim.calls.length).toBeGreaterThan(before);
    expect(result.data?.fineTune).toMatchObject({ rawStatus: 'FAILED' });
    expect(parse('{ __typename }')).toBeTruthy();
  });
});
