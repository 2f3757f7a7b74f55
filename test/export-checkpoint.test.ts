import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { SimEndpoint } from '../src/simulator/server.js';
import type { WireJob } from '../src/upstream/wire.js';
import { ExportCheckpointDocument, type ExportCheckpointMutation } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * exportFineTuneCheckpoint over HTTP against the simulator: the upstream's export (a GET that
 * changes state) is sent at most once, bad input costs no call, `output: false` is an error, and the
 * answer is the checkpoint read fresh from the job's checkpoint list.
 */

const FAST = {
  DASHSCOPE_TIMEOUT_MS: '1000',
  DASHSCOPE_RETRY_MAX: '2',
  DASHSCOPE_RETRY_BASE_DELAY_MS: '5',
  DASHSCOPE_RETRY_MAX_DELAY_MS: '10',
  DASHSCOPE_BREAKER_THRESHOLD: '1000',
};

let sequence = 0;
/**
 * A SUCCEEDED job of the demo tenant, new for each test, with the simulator's checkpoints of a
 * 3-epoch text job: checkpoint-480 (SUCCEEDED), checkpoint-320 and checkpoint-160 (PENDING).
 */
function finishedJob(stack: Stack): string {
  sequence += 1;
  const id = `ft-202611300800-${String(sequence).padStart(4, '0')}`;
  const [example] = vendorExampleJobs();
  stack.sim.upsertJob({ ...(example as WireJob), job_id: id, job_name: id, status: 'SUCCEEDED' });
  return id;
}

function counter(stack: Stack): (endpoint?: SimEndpoint) => number {
  const since = stack.sim.calls.length;
  return (endpoint) => stack.sim.count(endpoint, since);
}

type Result = ExportCheckpointMutation['exportFineTuneCheckpoint'];

async function exportCheckpoint(stack: Stack, jobId: string, checkpoint: string, modelName: string): Promise<Result> {
  const { data, errors } = await stack.query(ExportCheckpointDocument, { input: { jobId, checkpoint, modelName } });
  expect(errors).toBeUndefined();
  return data!.exportFineTuneCheckpoint;
}

describe('exportFineTuneCheckpoint', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: FAST });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.clearFaults();
    stack.sim.setActionRules({ exportingMs: 60_000 });
  });

  it('exports a checkpoint: one export call, then the checkpoint read fresh (PROCESSING), later SUCCEEDED and deployable', async () => {
    const id = finishedJob(stack);
    const calls = counter(stack);
    const result = await exportCheckpoint(stack, id, 'checkpoint-320', 'my-model_2');
    expect(result).toEqual({
      __typename: 'FineTuneCheckpoint',
      id: `${id}:checkpoint-320`,
      step: 320,
      status: 'PROCESSING',
      checkpoint: 'checkpoint-320',
      modelName: null,
      fullName: `${id}:checkpoint-320`,
    });
    expect(calls('exportCheckpoint')).toBe(1);
    expect(calls('listCheckpoints')).toBe(1);
    expect(calls()).toBe(2);
    const [sent] = stack.sim.calls.filter((call) => call.endpoint === 'exportCheckpoint').slice(-1);
    expect(sent).toMatchObject({ method: 'GET', url: `/api/v1/fine-tunes/${id}/export/checkpoint-320?model_name=my-model_2`, jobId: id });

    stack.sim.settleCancels();
    const { body } = await stack.raw({
      query: `{ fineTune(id: "${id}") { ... on FineTuneJob { checkpoints { checkpoint status modelName } } } }`,
    });
    expect(body.data.fineTune.checkpoints).toEqual([
      { checkpoint: 'checkpoint-480', status: 'SUCCEEDED', modelName: `qwen3-14b-${id}` },
      { checkpoint: 'checkpoint-320', status: 'SUCCEEDED', modelName: `qwen3-14b-${id}-c320` },
      { checkpoint: 'checkpoint-160', status: 'PENDING', modelName: null },
    ]);
  });

  it('answers SUCCEEDED with the deployable model name when the upstream exports at once', async () => {
    stack.sim.setActionRules({ exportingMs: 0 });
    const id = finishedJob(stack);
    expect(await exportCheckpoint(stack, id, 'checkpoint-160', 'fast-export')).toMatchObject({
      __typename: 'FineTuneCheckpoint',
      status: 'SUCCEEDED',
      modelName: `qwen3-14b-${id}-c160`,
    });
  });

  it('refuses input that cannot be right with InvalidParameterError naming the argument, and no upstream call', async () => {
    const id = finishedJob(stack);
    const cases: [string, string, string, string, string][] = [
      ['an empty job id', '', 'checkpoint-160', 'name', 'input.jobId'],
      ['a job id with a slash', 'ft-1/../x', 'checkpoint-160', 'name', 'input.jobId'],
      ['a job id with a lone surrogate', 'ft-\ud800', 'checkpoint-160', 'name', 'input.jobId'],
      ['an empty checkpoint', id, '', 'name', 'input.checkpoint'],
      ['a checkpoint with a slash', id, 'checkpoint-160/x', 'name', 'input.checkpoint'],
      ['a checkpoint "..', id, '..', 'name', 'input.checkpoint'],
      ['a checkpoint with a query', id, 'checkpoint-160?model_name=x', 'name', 'input.checkpoint'],
      ['a checkpoint name too long', id, `checkpoint-${'1'.repeat(200)}`, 'name', 'input.checkpoint'],
      ['an empty model name', id, 'checkpoint-160', '', 'input.modelName'],
      ['a model name with a space', id, 'checkpoint-160', 'my model', 'input.modelName'],
      ['a model name with an ampersand', id, 'checkpoint-160', 'a&b=c', 'input.modelName'],
      ['a model name too long', id, 'checkpoint-160', 'm'.repeat(129), 'input.modelName'],
    ];
    const calls = counter(stack);
    for (const [what, jobId, checkpoint, modelName, argument] of cases) {
      expect(await exportCheckpoint(stack, jobId, checkpoint, modelName), what).toMatchObject({
        __typename: 'InvalidParameterError',
        code: 'InvalidParameter',
        argument,
        requestId: null,
      });
    }
    expect(calls()).toBe(0);
  });

  it("the upstream's output false is an UpstreamError (ExportNotSubmitted, with its request id), and the checkpoint is not read", async () => {
    const id = finishedJob(stack);
    stack.sim.inject({
      endpoint: 'exportCheckpoint',
      times: 1,
      action: { kind: 'body', status: 200, body: '{"request_id":"5e1c0d7a-export-false","output":false}' },
    });
    const calls = counter(stack);
    expect(await exportCheckpoint(stack, id, 'checkpoint-160', 'not-submitted')).toMatchObject({
      __typename: 'UpstreamError',
      code: 'ExportNotSubmitted',
      requestId: '5e1c0d7a-export-false',
      message: expect.stringMatching(/did not submit the export of checkpoint-160.*nothing was exported/),
    });
    expect(calls('exportCheckpoint')).toBe(1);
    expect(calls()).toBe(1);
  });

  it('a failing export is sent once and answered as an error (5xx, reset, timeout, malformed reply); the same fault on a read is retried', async () => {
    const id = finishedJob(stack);
    const faults = [
      { kind: 'status', status: 500, code: 'InternalError' },
      { kind: 'status', status: 503, code: 'ServiceUnavailable', retryAfter: '0' },
      { kind: 'reset' },
      { kind: 'hang' },
      { kind: 'body', status: 200, body: '{"request_id":"r","output":"yes"}' },
    ] as const;
    for (const action of faults) {
      stack.sim.clearFaults();
      stack.sim.inject({ endpoint: 'exportCheckpoint', action });
      const calls = counter(stack);
      const result = await exportCheckpoint(stack, id, 'checkpoint-160', 'never-twice');
      expect(result.__typename, action.kind).toBe('UpstreamError');
      expect(calls('exportCheckpoint'), action.kind).toBe(1);
      expect(calls(), action.kind).toBe(1);
    }
    stack.sim.clearFaults();
    stack.sim.inject({ endpoint: 'listCheckpoints', times: 1, action: { kind: 'status', status: 503, code: 'ServiceUnavailable' } });
    const calls = counter(stack);
    const { body } = await stack.raw({ query: `{ fineTune(id: "${id}") { ... on FineTuneJob { checkpoints { id } } } }` });
    expect(body.data.fineTune.checkpoints).toHaveLength(3);
    expect(calls('listCheckpoints')).toBe(2);
  });

  it('maps the upstream errors like cancel: NotFound, UnsupportedOperation, Authentication, Throttling (sent once), Conflict as UpstreamError 409', async () => {
    const id = finishedJob(stack);
    stack.sim.setCheckpoints(id, [
      ...stack.sim.checkpoints(id).map((entry) => (entry.checkpoint === 'checkpoint-160' ? { ...entry, status: 'UNSUPPORTED' } : entry)),
    ]);
    expect(await exportCheckpoint(stack, 'ft-202001010000-none', 'checkpoint-160', 'a')).toMatchObject({
      __typename: 'NotFoundError',
      code: 'NotFound',
      requestId: expect.any(String),
    });
    expect(await exportCheckpoint(stack, id, 'checkpoint-999', 'a')).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound' });
    expect(await exportCheckpoint(stack, id, 'checkpoint-160', 'a')).toMatchObject({
      __typename: 'UnsupportedOperationError',
      code: 'UnsupportedOperation',
      message: 'The checkpoint checkpoint-160 cannot be exported.',
      requestId: expect.any(String),
    });
    expect(await exportCheckpoint(stack, id, 'checkpoint-320', 'taken-name')).toMatchObject({ __typename: 'FineTuneCheckpoint' });
    const other = finishedJob(stack);
    expect(await exportCheckpoint(stack, other, 'checkpoint-320', 'taken-name')).toMatchObject({
      __typename: 'UpstreamError',
      code: 'Conflict',
      httpStatus: 409,
      message: 'Model instance taken-name already exists, please specify a suffix',
    });

    const faults: [number, string, Record<string, unknown>][] = [
      [401, 'InvalidApiKey', { __typename: 'AuthenticationError', code: 'InvalidApiKey' }],
      [429, 'Throttling.RateQuota', { __typename: 'ThrottlingError', code: 'Throttling.RateQuota', retryAfter: 0 }],
      [500, 'InternalError', { __typename: 'UpstreamError', code: 'InternalError', httpStatus: 500 }],
    ];
    for (const [status, code, expected] of faults) {
      stack.sim.inject({ endpoint: 'exportCheckpoint', action: { kind: 'status', status, code, retryAfter: '0' }, times: 3 });
      const calls = counter(stack);
      const result = await exportCheckpoint(stack, other, 'checkpoint-160', `faulted-${status}`);
      expect(result, code).toMatchObject({ ...expected, requestId: expect.any(String) });
      expect(calls('exportCheckpoint'), code).toBe(1);
      stack.sim.clearFaults();
    }
  });

  it('a read back that fails after the export was submitted says so, keeping the read error', async () => {
    const id = finishedJob(stack);
    stack.sim.inject({ endpoint: 'listCheckpoints', action: { kind: 'status', status: 500, code: 'InternalError' } });
    const calls = counter(stack);
    expect(await exportCheckpoint(stack, id, 'checkpoint-160', 'read-back')).toMatchObject({
      __typename: 'UpstreamError',
      code: 'InternalError',
      message: expect.stringMatching(/^The export of checkpoint-160 was submitted, but reading it back failed/),
    });
    expect(calls('exportCheckpoint')).toBe(1);
    // The read is a GET: retried (RETRY_MAX = 2).
    expect(calls('listCheckpoints')).toBe(3);
    stack.sim.clearFaults();
    expect(stack.sim.checkpoints(id).find((entry) => entry.checkpoint === 'checkpoint-160')?.status).toBe('PROCESSING');
  });

  it('identical exports at once are separate upstream calls (never shared)', async () => {
    const id = finishedJob(stack);
    stack.sim.inject({ endpoint: 'exportCheckpoint', action: { kind: 'delay', ms: 100 } });
    const calls = counter(stack);
    const results = await Promise.all([1, 2].map(() => exportCheckpoint(stack, id, 'checkpoint-160', 'twice-at-once')));
    expect(calls('exportCheckpoint')).toBe(2);
    // The first takes the name; the second finds the checkpoint already exporting and answers true.
    expect(results.map((result) => result.__typename)).toEqual(['FineTuneCheckpoint', 'FineTuneCheckpoint']);
  });

  it('counts against the upstream-field limit and is refused over GET, with no upstream call', async () => {
    const calls = counter(stack);
    const exports = Array.from(
      { length: 51 },
      (_, i) =>
        `e${i}: exportFineTuneCheckpoint(input: { jobId: "ft-${i}", checkpoint: "checkpoint-1", modelName: "m${i}" }) { __typename }`,
    ).join(' ');
    const refused = await stack.raw({ query: `mutation { ${exports} }` });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_FIELD_LIMIT');
    const query =
      'mutation { exportFineTuneCheckpoint(input: { jobId: "ft-1", checkpoint: "checkpoint-1", modelName: "m" }) { __typename } }';
    const overGet = await fetch(`${stack.url}/graphql?${new URLSearchParams({ query })}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(overGet.status).toBe(405);
    expect(calls()).toBe(0);
  });
});
