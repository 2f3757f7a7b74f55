import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

describe('bad input is answered locally, with no upstream call', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const pages = [
    { page: { size: 0 }, argument: 'page.size' },
    { page: { size: 101 }, argument: 'page.size' },
    { page: { size: -5 }, argument: 'page.size' },
    { page: { number: 0 }, argument: 'page.number' },
    { page: { number: -1, size: 10 }, argument: 'page.number' },
  ];
  for (const { page, argument } of pages) {
    it(`rejects page ${JSON.stringify(page)}`, async () => {
      const before = stack.sim.calls.length;
      const result = await stack.query(JobsPageDocument, { page });
      expect(result.data?.fineTunes).toMatchObject({
        __typename: 'InvalidParameterError',
        code: 'InvalidParameter',
        argument,
        requestId: null,
      });
      expect(stack.sim.calls.length).toBe(before);
    });
  }

  it('accepts the page-size bounds 1 and 100', async () => {
    for (const size of [1, 100]) {
      const result = await stack.query(JobsPageDocument, { page: { size } });
      expect(result.data?.fineTunes).toMatchObject({ __typename: 'JobConnection', pageSize: size });
    }
  });

  const badIds = [
    '',
    '../fine-tunes',
    '..',
    'a/b',
    'ft-1?page_size=100',
    'ft-1#frag',
    'a\\b',
    '%2e%2e',
    'ft 1',
    'ft\n1',
    'x'.repeat(129),
    'y'.repeat(100_000),
  ];
  for (const id of badIds) {
    it(`rejects id ${JSON.stringify(id.length > 40 ? `${id.slice(0, 10)}…(${id.length})` : id)}`, async () => {
      const before = stack.sim.calls.length;
      const result = await stack.query(JobByIdDocument, { id });
      expect(result.data?.fineTune).toMatchObject({ __typename: 'InvalidParameterError', argument: 'id' });
      expect(stack.sim.calls.length).toBe(before);
    });
  }

  it('sends any other id as exactly one encoded path segment', async () => {
    const before = stack.sim.calls.length;
    const result = await stack.query(JobByIdDocument, { id: 'ft-ü:1+2&x=y' });
    expect(result.data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ endpoint: 'getJob', jobId: 'ft-ü:1+2&x=y' });
    expect(calls[0]!.url).toBe(`/api/v1/fine-tunes/${encodeURIComponent('ft-ü:1+2&x=y')}`);
  });

  it('answers GraphQL validation errors with 400 and no upstream call', async () => {
    const before = stack.sim.calls.length;
    const response = await stack.raw({ query: '{ fineTune(id: "x") { ... on FineTuneJob { nope } } }' });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toMatch(/nope/);
    const syntax = await stack.raw({ query: '{ fineTune(' });
    expect(syntax.status).toBe(400);
    expect(stack.sim.calls.length).toBe(before);
  });
});
