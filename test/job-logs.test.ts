import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/schema/connection.js';
import { VENDOR_EXAMPLE_JOB, VENDOR_EXAMPLE_LOG_LINES } from '../src/simulator/job-artifacts.js';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { JobCheckpointsDocument, JobLogsDocument, type JobLogsQuery } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/** `FineTuneJob.logs` and `FineTuneJob.checkpoints` over HTTP against the simulator, upstream calls counted. */

type Logs = NonNullable<Extract<NonNullable<JobLogsQuery['fineTune']>, { __typename: 'FineTuneJob' }>['logs']>;

function logsOf(body: { data?: JobLogsQuery | null }): Logs {
  const job = body.data?.fineTune;
  if (job?.__typename !== 'FineTuneJob' || !job.logs) throw new Error(`expected logs, got ${JSON.stringify(body)}`);
  return job.logs;
}

const RUNNING_ID = 'ft-202611230900-logs';

function runningJob(): WireJob {
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...running } = example as WireJob;
  return { ...running, job_id: RUNNING_ID, job_name: RUNNING_ID, status: 'RUNNING', create_time: '2026-11-23 09:00:00' };
}

describe('FineTuneJob.logs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_RETRY_MAX: '0' } });
  });
  afterAll(() => stack.close());

  const logCalls = (since: number) => stack.sim.calls.slice(since).filter((call) => call.endpoint === 'getJobLogs');

  it('answers the first 100 lines by default, in one upstream call, with the total and cursors', async () => {
    // Twice: the second run of a document executes as graphql-jit code.
    for (let run = 0; run < 2; run++) {
      const since = stack.sim.calls.length;
      const logs = logsOf(await stack.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB }));
      expect(logs.totalCount).toBe(VENDOR_EXAMPLE_LOG_LINES);
      expect(logs.edges).toHaveLength(100);
      expect(logs.edges.map((edge) => edge.node.offset)).toEqual(Array.from({ length: 100 }, (_, index) => index));
      expect(logs.edges.map((edge) => edge.node.text)).toEqual(stack.sim.logs(VENDOR_EXAMPLE_JOB).slice(0, 100));
      for (const edge of logs.edges) expect(edge.node.cursor).toBe(edge.cursor);
      expect(logs.pageInfo).toEqual({
        hasNextPage: true,
        hasPreviousPage: false,
        startCursor: logs.edges[0]!.cursor,
        endCursor: logs.edges[99]!.cursor,
      });
      expect(logCalls(since).map((call) => call.url)).toEqual([`/api/v1/fine-tunes/${VENDOR_EXAMPLE_JOB}/logs?offset=0&line=100`]);
    }
  });

  it('pages through a log longer than one upstream call with after: endCursor, no line repeated or skipped', async () => {
    const since = stack.sim.calls.length;
    const texts: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const logs = logsOf(await stack.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB, first: 1000, after }));
      pages += 1;
      expect(logs.edges[0]?.node.offset).toBe(texts.length);
      texts.push(...logs.edges.map((edge) => edge.node.text));
      expect(logs.pageInfo.hasPreviousPage).toBe(pages > 1);
      if (!logs.pageInfo.hasNextPage) break;
      after = logs.pageInfo.endCursor ?? null;
    }
    expect(pages).toBe(2);
    expect(texts).toEqual(stack.sim.logs(VENDOR_EXAMPLE_JOB));
    expect(texts.at(-1)).toMatch(/##FT_COMPLETE##$/);
    expect(texts).toContain(' Actual number of consumed tokens is 279808!');
    expect(logCalls(since).map((call) => new URL(call.url, 'http://sim').search)).toEqual([
      '?offset=0&line=1000',
      '?offset=1000&line=1000',
    ]);
  });

  it('returns the lines written since, after the end cursor of a running job', async () => {
    stack.sim.upsertJob(runningJob());
    stack.sim.appendLogs(RUNNING_ID, ['line a', 'line b']);
    const first = logsOf(await stack.query(JobLogsDocument, { id: RUNNING_ID }));
    expect(first.edges.map((edge) => edge.node.text)).toEqual(['line a', 'line b']);
    expect(first.pageInfo.hasNextPage).toBe(false);
    const empty = logsOf(await stack.query(JobLogsDocument, { id: RUNNING_ID, after: first.pageInfo.endCursor }));
    expect(empty).toMatchObject({ totalCount: 2, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, endCursor: null } });
    stack.sim.appendLogs(RUNNING_ID, ['line c']);
    const later = logsOf(await stack.query(JobLogsDocument, { id: RUNNING_ID, after: first.pageInfo.endCursor }));
    expect(later.edges.map((edge) => [edge.node.offset, edge.node.text])).toEqual([[2, 'line c']]);
    expect(later.totalCount).toBe(3);
  });

  it.each([
    ['first: 0', { first: 0 }, 'first'],
    ['first: 1001', { first: 1001 }, 'first'],
    ['first: -5', { first: -5 }, 'first'],
    ['a cursor that is not base64', { after: 'not a cursor!' }, 'after'],
    ['a jobs-list cursor', { after: encodeCursor(3) }, 'after'],
    ['a negative position', { after: Buffer.from('log:-1').toString('base64url') }, 'after'],
    ['a huge position', { after: Buffer.from('log:99999999999999999999').toString('base64url') }, 'after'],
  ])('refuses %s with InvalidParameter and no upstream log call', async (_name, variables, argument) => {
    const since = stack.sim.calls.length;
    const body = await stack.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB, ...variables });
    expect(body.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', logs: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toEqual(['fineTune', 'logs']);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'InvalidParameter', argument, requestId: null });
    expect(logCalls(since)).toHaveLength(0);
  });

  it.each([
    [429, 'Throttling', { retryAfter: 7 }],
    [404, 'NotFound', {}],
    [500, 'InternalError', { httpStatus: 500 }],
  ])('an upstream %i becomes an error in errors[] with its code and request id', async (status, code, extra) => {
    stack.sim.inject({
      endpoint: 'getJobLogs',
      jobId: VENDOR_EXAMPLE_JOB,
      times: 1,
      action: { kind: 'status', status, ...(status === 429 ? { retryAfter: '7' } : {}) },
    });
    const since = stack.sim.calls.length;
    const body = await stack.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB });
    const [call] = logCalls(since);
    expect(body.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', logs: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code, requestId: call!.requestId, ...extra });
    expect(logCalls(since)).toHaveLength(1);
  });

  it('a retried GET: a 503 on the log is retried like any read', async () => {
    const retrying = await startStack();
    try {
      retrying.sim.inject({ endpoint: 'getJobLogs', times: 1, action: { kind: 'status', status: 503 } });
      const since = retrying.sim.calls.length;
      const logs = logsOf(await retrying.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB, first: 3 }));
      expect(logs.edges).toHaveLength(3);
      expect(
        retrying.sim.calls
          .slice(since)
          .filter((call) => call.endpoint === 'getJobLogs')
          .map((call) => call.status),
      ).toEqual([503, 200]);
    } finally {
      await retrying.close();
    }
  });
});

describe('FineTuneJob.checkpoints', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_RETRY_MAX: '0' } });
  });
  afterAll(() => stack.close());

  const checkpointsOf = async (id: string) => {
    const body = await stack.query(JobCheckpointsDocument, { id });
    const job = body.data?.fineTune;
    if (job?.__typename !== 'FineTuneJob') throw new Error(`expected a job, got ${JSON.stringify(body)}`);
    return { checkpoints: job.checkpoints, errors: body.errors };
  };

  it('lists a multi-checkpoint job newest step first, the newest deployable', async () => {
    const cosy = stack.sim.jobs().find((job) => job.model?.startsWith('cosyvoice') && job.status === 'SUCCEEDED')!;
    for (let run = 0; run < 2; run++) {
      const { checkpoints } = await checkpointsOf(cosy.job_id);
      expect(checkpoints!.length).toBeGreaterThan(1);
      const steps = checkpoints!.map((checkpoint) => checkpoint.step!);
      expect(steps).toEqual([...steps].sort((a, b) => b - a));
      expect(checkpoints![0]).toMatchObject({ status: 'SUCCEEDED', modelName: `cosyvoice-v3-flash-${cosy.job_id}` });
      for (const checkpoint of checkpoints!.slice(1)) expect(checkpoint).toMatchObject({ status: 'PENDING', modelName: null });
      const wire = stack.sim.checkpoints(cosy.job_id)[0]!;
      expect(checkpoints![0]).toEqual({
        id: wire.checkpoint_id,
        step: wire.step,
        status: 'SUCCEEDED',
        checkpoint: wire.checkpoint,
        modelName: wire.model_name,
        fullName: wire.full_name,
        createdAt: `${wire.create_time}+08:00`,
        expiresAt: `${wire.expire_time}+08:00`,
      });
    }
  });

  it('sorts newest step first even when the upstream does not', async () => {
    const id = VENDOR_EXAMPLE_JOB;
    stack.sim.setCheckpoints(id, [
      { checkpoint_id: `${id}:checkpoint-160`, checkpoint: 'checkpoint-160', status: 'PENDING', step: 160 },
      { checkpoint: 'checkpoint-480', status: 'SUCCEEDED', step: 480, model_name: 'm-480', create_time: '2025-11-11T17:46:53.294' },
      { status: 'PENDING', step: 999 },
      { checkpoint_id: `${id}:checkpoint-320`, checkpoint: 'checkpoint-320', status: 'PENDING', step: '320' as unknown as number },
    ]);
    const { checkpoints } = await checkpointsOf(id);
    expect(checkpoints!.map((checkpoint) => [checkpoint.id, checkpoint.step])).toEqual([
      [`${id}:checkpoint-480`, 480],
      [`${id}:checkpoint-320`, 320],
      [`${id}:checkpoint-160`, 160],
    ]);
    expect(checkpoints![0]!.createdAt).toBe('2025-11-11T17:46:53.294+08:00');
  });

  it('answers an empty list for a job without checkpoints', async () => {
    const running = stack.sim.jobs().find((job) => job.status === 'RUNNING')!;
    expect((await checkpointsOf(running.job_id)).checkpoints).toEqual([]);
  });

  it('metrics name the new upstream endpoints', async () => {
    await checkpointsOf(VENDOR_EXAMPLE_JOB);
    await stack.query(JobLogsDocument, { id: VENDOR_EXAMPLE_JOB, first: 1 });
    const metrics = await stack.scrape();
    expect(metrics).toMatch(/gateway_upstream_requests_total\{endpoint="listCheckpoints",status="200"\} [1-9]/);
    expect(metrics).toMatch(/gateway_upstream_requests_total\{endpoint="getJobLogs",status="200"\} [1-9]/);
  });

  it('an upstream error is an error in errors[] with its code and request id; the job still answers', async () => {
    const cosy = stack.sim.jobs().find((job) => job.model?.startsWith('cosyvoice'))!;
    stack.sim.inject({ endpoint: 'listCheckpoints', times: 1, action: { kind: 'status', status: 404 } });
    const since = stack.sim.calls.length;
    const { checkpoints, errors } = await checkpointsOf(cosy.job_id);
    const call = stack.sim.calls.slice(since).find((candidate) => candidate.endpoint === 'listCheckpoints')!;
    expect(checkpoints).toBeNull();
    expect(errors?.[0]).toMatchObject({ path: ['fineTune', 'checkpoints'], extensions: { code: 'NotFound', requestId: call.requestId } });
  });
});
