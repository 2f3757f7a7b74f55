import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/** The vendor's error table (plus the platform-wide auth codes), as the simulator answers it. */
const TABLE = [
  { status: 400, code: 'InvalidParameter', type: 'InvalidParameterError' },
  { status: 400, code: 'UnsupportedOperation', type: 'InvalidParameterError' },
  { status: 404, code: 'NotFound', type: 'NotFoundError' },
  { status: 409, code: 'Conflict', type: 'UpstreamError', httpStatus: 409 },
  { status: 429, code: 'Throttling', type: 'ThrottlingError' },
  { status: 429, code: 'Throttling.RateQuota', type: 'ThrottlingError' },
  { status: 500, code: 'InternalError', type: 'UpstreamError', httpStatus: 500 },
  { status: 401, code: 'InvalidApiKey', type: 'AuthenticationError' },
  { status: 403, code: 'AccessDenied', type: 'AuthenticationError' },
] as const;

describe('upstream error table -> typed GraphQL errors with requestId', () => {
  let stack: Stack;
  const id = 'ft-202410291653-1c7f';
  beforeAll(async () => {
    // One attempt per call, so each injected reply is the final answer.
    stack = await startStack({ env: { DASHSCOPE_RETRY_MAX: '0' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.clearFaults());

  for (const row of TABLE) {
    it(`fineTune: HTTP ${row.status} ${row.code} -> ${row.type}`, async () => {
      stack.sim.inject({
        endpoint: 'getJob',
        action: { kind: 'status', status: row.status, code: row.code, message: `sim says ${row.code}` },
      });
      const result = await stack.query(JobByIdDocument, { id });
      expect(result.errors).toBeUndefined();
      const lastCall = stack.sim.calls.at(-1)!;
      expect(lastCall.endpoint).toBe('getJob');
      expect(result.data?.fineTune).toMatchObject({
        __typename: row.type,
        code: row.code,
        message: `sim says ${row.code}`,
        requestId: lastCall.requestId,
        ...('httpStatus' in row ? { httpStatus: row.httpStatus } : {}),
      });
    });
  }

  for (const row of TABLE.filter((r) => r.type !== 'NotFoundError')) {
    it(`fineTunes: HTTP ${row.status} ${row.code} -> ${row.type}`, async () => {
      stack.sim.inject({ endpoint: 'listJobs', action: { kind: 'status', status: row.status, code: row.code } });
      const result = await stack.query(JobsPageDocument, {});
      expect(result.data?.fineTunes).toMatchObject({ __typename: row.type, code: row.code, requestId: stack.sim.calls.at(-1)!.requestId });
    });
  }

  it('fineTunes: a 404 on the list endpoint is an UpstreamError (the list union has no NotFoundError)', async () => {
    stack.sim.inject({ endpoint: 'listJobs', action: { kind: 'status', status: 404, code: 'NotFound' } });
    const result = await stack.query(JobsPageDocument, {});
    expect(result.data?.fineTunes).toMatchObject({ __typename: 'UpstreamError', code: 'NotFound', httpStatus: 404 });
  });

  it('carries Retry-After into ThrottlingError.retryAfter', async () => {
    stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 429, code: 'Throttling', retryAfter: '7' } });
    const result = await stack.query(JobByIdDocument, { id });
    expect(result.data?.fineTune).toMatchObject({ __typename: 'ThrottlingError', retryAfter: 7 });
  });

  it('turns a non-JSON error page and a malformed 200 into UpstreamError, never an exception', async () => {
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'html', status: 502 } });
    const html = await stack.query(JobByIdDocument, { id });
    expect(html.errors).toBeUndefined();
    expect(html.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', httpStatus: 502 });
    expect(JSON.stringify(html)).not.toContain('<html');

    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'body', status: 200, body: '{"request_id":"r-1","output":[]}' } });
    const wrongShape = await stack.query(JobByIdDocument, { id });
    expect(wrongShape.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'BadUpstreamResponse', requestId: 'r-1' });

    stack.sim.inject({ endpoint: 'listJobs', times: 1, action: { kind: 'body', status: 200, body: '{"output":{"jobs":"nope"}}' } });
    const badPage = await stack.query(JobsPageDocument, {});
    expect(badPage.data?.fineTunes).toMatchObject({ __typename: 'UpstreamError', code: 'BadUpstreamResponse' });
  });

  it('answers a wrong key with AuthenticationError', async () => {
    const wrong = await startStack({ env: { DASHSCOPE_API_KEY: 'sk-wrong' } });
    try {
      const result = await wrong.query(JobsPageDocument, {});
      expect(result.data?.fineTunes).toMatchObject({
        __typename: 'AuthenticationError',
        code: 'InvalidApiKey',
        requestId: wrong.sim.calls.at(-1)!.requestId,
      });
    } finally {
      await wrong.close();
    }
  });
});
