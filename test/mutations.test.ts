import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { SimEndpoint } from '../src/simulator/server.js';
import { type Transport, createTransport } from '../src/upstream/transport.js';
import type { WireJob } from '../src/upstream/wire.js';
import {
  CancelJobDocument,
  CreateJobDocument,
  type CreateJobMutation,
  DeleteJobDocument,
  JobByIdDocument,
  JobsPageDocument,
  TailJobLogsDocument,
  WatchJobStatusDocument,
} from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * createFineTune, cancelFineTune and deleteFineTune over HTTP against the simulator: answers and
 * error mapping, no call for bad input, never a duplicate action (counted at the simulator), and
 * caches, shared reads and live subscribers that stay true after an action.
 */

const FINISHED_ID = 'ft-202410291653-1c7f';
const FAST = {
  DASHSCOPE_TIMEOUT_MS: '1000',
  DASHSCOPE_RETRY_MAX: '2',
  DASHSCOPE_RETRY_BASE_DELAY_MS: '5',
  DASHSCOPE_RETRY_MAX_DELAY_MS: '10',
  DASHSCOPE_BREAKER_THRESHOLD: '1000',
};

const INPUT = {
  model: 'qwen3-14b',
  trainingFileIds: ['86a9fe7f-dd77-43b0-9834-2170e12339ec'],
  trainingType: 'sft',
  hyperParameters: { n_epochs: 3, batch_size: 32, learning_rate: '1.6e-5' },
};

let sequence = 0;
/** A job of the demo tenant that is still running (or in `status`), new for each test. */
function runningJob(stack: Stack, status = 'RUNNING'): string {
  sequence += 1;
  const id = `ft-202611300900-${String(sequence).padStart(4, '0')}`;
  const [example] = vendorExampleJobs();
  const { finetuned_output: _output, end_time: _end, usage: _usage, ...job } = example as WireJob;
  stack.sim.upsertJob({ ...job, job_id: id, job_name: id, status, create_time: '2026-11-30 09:00:00' });
  return id;
}

function counter(stack: Stack): (endpoint?: SimEndpoint) => number {
  const since = stack.sim.calls.length;
  return (endpoint) => stack.sim.count(endpoint, since);
}

type Created = CreateJobMutation['createFineTune'];
function jobOf(result: Created | undefined): Extract<Created, { __typename: 'FineTuneJob' }> {
  if (result?.__typename !== 'FineTuneJob') throw new Error(`expected a job, got ${JSON.stringify(result)}`);
  return result;
}

describe('mutations against the simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: FAST });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.sim.clearFaults();
    stack.sim.setActionRules({ deleteRule: 'finished-only', cancelingMs: 60_000, maxActiveJobs: Number.POSITIVE_INFINITY });
  });

  describe('createFineTune', () => {
    it('creates the job with one POST and answers it as the upstream made it (PENDING)', async () => {
      const calls = counter(stack);
      const result = await stack.query(CreateJobDocument, { input: { ...INPUT, jobName: 'my-job', validationFileIds: ['val-1'] } });
      expect(result.errors).toBeUndefined();
      const job = jobOf(result.data?.createFineTune);
      expect(job).toMatchObject({
        status: 'PENDING',
        isTerminal: false,
        model: 'qwen3-14b',
        jobName: 'my-job',
        trainingFileIds: INPUT.trainingFileIds,
        validationFileIds: ['val-1'],
        trainingType: 'sft',
        hyperParameters: { raw: INPUT.hyperParameters },
      });
      expect(job.id).toMatch(/^ft-\d{12}-[0-9a-f]{4}$/);
      expect(calls()).toBe(1);
      const [call] = stack.sim.calls.slice(-1);
      expect(call).toMatchObject({ endpoint: 'createJob', method: 'POST', url: '/api/v1/fine-tunes' });
      // The vendor's body, snake_case, nothing else.
      expect(call!.body).toEqual({
        model: 'qwen3-14b',
        training_file_ids: INPUT.trainingFileIds,
        validation_file_ids: ['val-1'],
        training_type: 'sft',
        job_name: 'my-job',
        hyper_parameters: INPUT.hyperParameters,
      });
      // The new job is on the first page of the list at once.
      const page = await stack.query(JobsPageDocument, { page: { number: 1, size: 1 } });
      expect(page.data?.fineTunes).toMatchObject({ nodes: [{ id: job.id, status: 'PENDING' }] });
    });

    it('runs through automatic persisted queries: registered once, then by hash in one round trip, each run one create; never over GET', async () => {
      const calls = counter(stack);
      const text =
        'mutation CreateByHash($input: CreateFineTuneInput!) { createFineTune(input: $input) { __typename ... on FineTuneJob { id status } } }';
      const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(text).digest('hex') };
      const variables = { input: INPUT };
      const unknown = await stack.raw({ variables, extensions: { persistedQuery } });
      expect(unknown.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
      expect(calls('createJob')).toBe(0);
      const registered = await stack.raw({ query: text, variables, extensions: { persistedQuery } });
      expect(registered.body.data?.createFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'PENDING' });
      const byHash = await stack.raw({ variables, extensions: { persistedQuery } });
      expect(byHash.status).toBe(200);
      expect(byHash.body.data?.createFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'PENDING' });
      expect(byHash.body.data?.createFineTune.id).not.toBe(registered.body.data?.createFineTune.id);
      expect(calls('createJob')).toBe(2);
      // By hash over GET it is still a mutation over GET: refused before execution.
      const search = new URLSearchParams({ variables: JSON.stringify(variables), extensions: JSON.stringify({ persistedQuery }) });
      const overGet = await fetch(`${stack.url}/graphql?${search}`, { headers: { accept: 'application/graphql-response+json' } });
      expect(overGet.status).toBe(405);
      expect(calls('createJob')).toBe(2);
    });

    it('refuses input that cannot be right with InvalidParameterError naming the argument, and no upstream call', async () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['empty model', { model: '' }, 'input.model'],
        ['model with a slash', { model: 'qwen3/../x' }, 'input.model'],
        ['no training files', { trainingFileIds: [] }, 'input.trainingFileIds'],
        ['an empty file id', { trainingFileIds: ['ok', ''] }, 'input.trainingFileIds[1]'],
        ['a file id with a space', { trainingFileIds: ['a b'] }, 'input.trainingFileIds[0]'],
        ['too many files', { trainingFileIds: Array.from({ length: 101 }, (_, i) => `f${i}`) }, 'input.trainingFileIds'],
        ['a bad validation file id', { validationFileIds: ['x?y'] }, 'input.validationFileIds[0]'],
        ['an unknown training type', { trainingType: 'dpo' }, 'input.trainingType'],
        ['hyper-parameters not an object', { hyperParameters: [1, 2] }, 'input.hyperParameters'],
        ['n_epochs a fraction', { hyperParameters: { n_epochs: 1.5 } }, 'input.hyperParameters.n_epochs'],
        ['n_epochs a string', { hyperParameters: { n_epochs: '3' } }, 'input.hyperParameters.n_epochs'],
        ['learning_rate not a number', { hyperParameters: { learning_rate: 'fast' } }, 'input.hyperParameters.learning_rate'],
        ['split above 1', { hyperParameters: { split: 1.5 } }, 'input.hyperParameters.split'],
        ['freeze_vit not a boolean', { hyperParameters: { freeze_vit: 'yes' } }, 'input.hyperParameters.freeze_vit'],
        ['an unknown save_strategy', { hyperParameters: { save_strategy: 'hourly' } }, 'input.hyperParameters.save_strategy'],
        ['an empty job name', { jobName: '' }, 'input.jobName'],
        ['an idempotency key with a space', { idempotencyKey: 'a b' }, 'input.idempotencyKey'],
        ['an idempotency key too long', { idempotencyKey: 'k'.repeat(256) }, 'input.idempotencyKey'],
      ];
      const calls = counter(stack);
      for (const [name, patch, argument] of cases) {
        const result = await stack.query(CreateJobDocument, { input: { ...INPUT, ...patch } as never });
        expect(result.data?.createFineTune, name).toMatchObject({
          __typename: 'InvalidParameterError',
          code: 'InvalidParameter',
          argument,
        });
      }
      expect(calls()).toBe(0);
    });

    it('passes documented types through: numeric strings for floats, unknown keys untouched', async () => {
      const hyperParameters = { learning_rate: '2e-5', split: 0.9, lora_rank: 64, max_pixels: '1k', custom_knob: { any: ['thing'] } };
      const result = await stack.query(CreateJobDocument, { input: { ...INPUT, trainingType: 'efficient_sft', hyperParameters } });
      expect(jobOf(result.data?.createFineTune).hyperParameters?.raw).toEqual(hyperParameters);
    });

    it('maps the upstream answers onto its union, with the upstream request_id', async () => {
      // The model does not take that training type: only the upstream knows.
      const unsupported = await stack.query(CreateJobDocument, { input: { ...INPUT, model: 'cosyvoice-v3-flash', trainingType: 'sft' } });
      expect(unsupported.data?.createFineTune).toMatchObject({
        __typename: 'InvalidParameterError',
        code: 'InvalidParameter',
        message: 'The model cosyvoice-v3-flash does not support training_type: sft',
        requestId: expect.any(String),
        argument: null,
      });
      stack.sim.setActionRules({ maxActiveJobs: 1 });
      const throttled = await stack.query(CreateJobDocument, { input: INPUT });
      expect(throttled.data?.createFineTune).toMatchObject({
        __typename: 'ThrottlingError',
        code: 'Throttling',
        message: 'Too many fine-tune job in running, please retry later.',
        requestId: expect.any(String),
      });
      const faults: [number, string, Record<string, unknown>][] = [
        [409, 'Conflict', { __typename: 'ConflictError', code: 'Conflict' }],
        [401, 'InvalidApiKey', { __typename: 'AuthenticationError', code: 'InvalidApiKey' }],
        [404, 'NotFound', { __typename: 'InvalidParameterError', code: 'NotFound' }],
        [400, 'UnsupportedOperation', { __typename: 'InvalidParameterError', code: 'UnsupportedOperation' }],
      ];
      for (const [status, code, expected] of faults) {
        stack.sim.inject({ endpoint: 'createJob', action: { kind: 'status', status, code }, times: 1 });
        const result = await stack.query(CreateJobDocument, { input: INPUT });
        expect(result.data?.createFineTune, code).toMatchObject({ ...expected, requestId: expect.any(String) });
      }
    });
  });

  describe('never a duplicate action', () => {
    it('a create whose POST fails after the body was sent is answered as an error, never sent again', async () => {
      const faults = [
        { kind: 'status', status: 500, code: 'InternalError' },
        { kind: 'status', status: 503, code: 'ServiceUnavailable', retryAfter: '0' },
        { kind: 'reset' },
        { kind: 'reset-mid-body' },
        { kind: 'hang' },
      ] as const;
      for (const action of faults) {
        stack.sim.clearFaults();
        stack.sim.inject({ endpoint: 'createJob', action });
        const calls = counter(stack);
        const before = stack.sim.jobs().length;
        const result = await stack.query(CreateJobDocument, { input: INPUT });
        expect(result.data?.createFineTune.__typename, action.kind).toBe('UpstreamError');
        expect(calls('createJob'), action.kind).toBe(1);
        expect(calls(), action.kind).toBe(1);
        expect(stack.sim.jobs().length, action.kind).toBe(before);
      }
      // The same faults on a GET are retried (RETRY_MAX = 2): the rule is about actions.
      stack.sim.clearFaults();
      stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 500 } });
      const calls = counter(stack);
      await stack.query(JobByIdDocument, { id: runningJob(stack) });
      expect(calls('getJob')).toBe(3);
    });

    it('two concurrent creates with one idempotency key make one upstream create and answer the same job', async () => {
      const input = { ...INPUT, idempotencyKey: `key-${Date.now()}-concurrent` };
      // Held back, so the second request arrives while the first create is still on its way.
      stack.sim.inject({ endpoint: 'createJob', action: { kind: 'delay', ms: 200 }, times: 1 });
      const calls = counter(stack);
      const [first, second] = await Promise.all([stack.query(CreateJobDocument, { input }), stack.query(CreateJobDocument, { input })]);
      const a = jobOf(first.data?.createFineTune);
      const b = jobOf(second.data?.createFineTune);
      expect(b.id).toBe(a.id);
      expect(calls('createJob')).toBe(1);
      // The request that waited answers the job read fresh.
      expect(calls('getJob')).toBe(1);
      expect(stack.sim.jobs().filter((job) => job.job_id === a.id)).toHaveLength(1);

      // Later, the same key again: the same job, still no second create.
      const third = await stack.query(CreateJobDocument, { input });
      expect(jobOf(third.data?.createFineTune).id).toBe(a.id);
      expect(calls('createJob')).toBe(1);

      // The same key with another input is a client bug: refused, no call.
      const other = await stack.query(CreateJobDocument, { input: { ...input, model: 'qwen3-8b' } });
      expect(other.data?.createFineTune).toMatchObject({ __typename: 'ConflictError', code: 'IdempotencyKeyReused' });
      expect(calls('createJob')).toBe(1);
    });

    it('two identical actions at once are two upstream calls: actions never share a call', async () => {
      stack.sim.inject({ endpoint: 'createJob', action: { kind: 'delay', ms: 100 }, times: 2 });
      const calls = counter(stack);
      const [a, b] = await Promise.all([
        stack.query(CreateJobDocument, { input: INPUT }),
        stack.query(CreateJobDocument, { input: INPUT }),
      ]);
      expect(jobOf(a.data?.createFineTune).id).not.toBe(jobOf(b.data?.createFineTune).id);
      expect(calls('createJob')).toBe(2);
      const id = runningJob(stack);
      stack.sim.inject({ endpoint: 'cancelJob', action: { kind: 'delay', ms: 100 }, times: 2 });
      await Promise.all([stack.query(CancelJobDocument, { id }), stack.query(CancelJobDocument, { id })]);
      expect(calls('cancelJob')).toBe(2);
    });

    it('a key whose create may have reached the upstream answers that failure again, never a second create', async () => {
      const input = { ...INPUT, idempotencyKey: `key-${Date.now()}-lost` };
      stack.sim.inject({ endpoint: 'createJob', action: { kind: 'status', status: 502, code: 'BadGateway' }, times: 1 });
      const calls = counter(stack);
      const first = await stack.query(CreateJobDocument, { input });
      expect(first.data?.createFineTune).toMatchObject({ __typename: 'UpstreamError', code: 'BadGateway', httpStatus: 502 });
      const again = await stack.query(CreateJobDocument, { input });
      expect(again.data?.createFineTune).toMatchObject({ __typename: 'UpstreamError', code: 'BadGateway', httpStatus: 502 });
      expect(again.data?.createFineTune).toMatchObject({ message: expect.stringMatching(/may have reached the upstream/) });
      expect(calls('createJob')).toBe(1);
    });

    it('a key whose create the upstream refused (nothing created) may be used again', async () => {
      const input = { ...INPUT, idempotencyKey: `key-${Date.now()}-throttled` };
      stack.sim.inject({ endpoint: 'createJob', action: { kind: 'status', status: 429, code: 'Throttling' }, times: 1 });
      const calls = counter(stack);
      const first = await stack.query(CreateJobDocument, { input });
      expect(first.data?.createFineTune.__typename).toBe('ThrottlingError');
      const retried = await stack.query(CreateJobDocument, { input });
      const job = jobOf(retried.data?.createFineTune);
      expect(calls('createJob')).toBe(2);
      const replayed = await stack.query(CreateJobDocument, { input });
      expect(jobOf(replayed.data?.createFineTune).id).toBe(job.id);
      expect(calls('createJob')).toBe(2);
    });

    it('cancel and delete are sent once too, whatever fails after sending', async () => {
      for (const endpoint of ['cancelJob', 'deleteJob'] as const) {
        stack.sim.inject({ endpoint, action: { kind: 'status', status: 500, code: 'InternalError' }, times: 1 });
        const calls = counter(stack);
        const id = runningJob(stack);
        const answer =
          endpoint === 'cancelJob'
            ? (await stack.query(CancelJobDocument, { id })).data?.cancelFineTune
            : (await stack.query(DeleteJobDocument, { id })).data?.deleteFineTune;
        expect(answer, endpoint).toMatchObject({ __typename: 'UpstreamError', code: 'InternalError', httpStatus: 500 });
        expect(calls(endpoint), endpoint).toBe(1);
        expect(calls(), endpoint).toBe(1);
      }
    });
  });

  describe('cancelFineTune', () => {
    it('answers the job read fresh (CANCELING), then CANCELED: one cancel and one read, then one read per query', async () => {
      const id = runningJob(stack);
      const calls = counter(stack);
      const result = await stack.query(CancelJobDocument, { id });
      expect(result.data?.cancelFineTune).toMatchObject({ __typename: 'FineTuneJob', id, status: 'CANCELING', isTerminal: false });
      expect(calls('cancelJob')).toBe(1);
      expect(calls('getJob')).toBe(1);
      const [cancel, read] = stack.sim.calls.slice(-2);
      expect(cancel).toMatchObject({ endpoint: 'cancelJob', method: 'POST', url: `/api/v1/fine-tunes/${id}/cancel` });
      expect(read).toMatchObject({ endpoint: 'getJob', method: 'GET' });

      const after = await stack.query(JobByIdDocument, { id });
      expect(after.data?.fineTune).toMatchObject({ status: 'CANCELING' });
      expect(calls('getJob')).toBe(2);

      stack.sim.settleCancels();
      const canceled = await stack.query(JobByIdDocument, { id });
      expect(canceled.data?.fineTune).toMatchObject({ status: 'CANCELED', isTerminal: true, endTime: expect.any(String) });
      expect(calls()).toBe(4);
    });

    it('maps the upstream answers: finished job, unknown job, 409, bad id', async () => {
      const calls = counter(stack);
      const finished = await stack.query(CancelJobDocument, { id: FINISHED_ID });
      expect(finished.data?.cancelFineTune).toMatchObject({
        __typename: 'UnsupportedOperationError',
        code: 'UnsupportedOperation',
        message: 'The fine-tuning job cannot be canceled because it has already succeeded, failed, or been canceled.',
        requestId: expect.any(String),
      });
      const missing = await stack.query(CancelJobDocument, { id: 'ft-000000000000-none' });
      expect(missing.data?.cancelFineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) });
      expect(calls()).toBe(2);
      stack.sim.inject({ endpoint: 'cancelJob', action: { kind: 'status', status: 409, code: 'Conflict' }, times: 1 });
      const conflict = await stack.query(CancelJobDocument, { id: runningJob(stack) });
      expect(conflict.data?.cancelFineTune).toMatchObject({ __typename: 'UpstreamError', code: 'Conflict', httpStatus: 409 });
      const before = calls();
      const bad = await stack.query(CancelJobDocument, { id: '../x' });
      expect(bad.data?.cancelFineTune).toMatchObject({ __typename: 'InvalidParameterError', argument: 'id' });
      expect(calls()).toBe(before);
    });
  });

  describe('deleteFineTune', () => {
    it('deletes with one DELETE; the job is gone from reads and lists at once', async () => {
      const id = runningJob(stack, 'SUCCEEDED');
      // Read first: a finished job is now in the finished-job cache.
      expect((await stack.query(JobByIdDocument, { id })).data?.fineTune).toMatchObject({ status: 'SUCCEEDED' });
      const total = (await stack.query(JobsPageDocument, {})).data?.fineTunes as { totalCount: number };
      const calls = counter(stack);
      const result = await stack.query(DeleteJobDocument, { id });
      expect(result.data?.deleteFineTune).toEqual({ __typename: 'DeletedFineTuneJob', id });
      expect(calls()).toBe(1);
      expect(stack.sim.calls.at(-1)).toMatchObject({ endpoint: 'deleteJob', method: 'DELETE', url: `/api/v1/fine-tunes/${id}` });
      const gone = await stack.query(JobByIdDocument, { id });
      expect(gone.data?.fineTune).toMatchObject({ __typename: 'NotFoundError', requestId: expect.any(String) });
      expect(calls('getJob')).toBe(1);
      const page = (await stack.query(JobsPageDocument, {})).data?.fineTunes as { totalCount: number };
      expect(page.totalCount).toBe(total.totalCount - 1);
    });

    it("passes the upstream's state rule through, whichever it is (the vendor's pages disagree)", async () => {
      const running = runningJob(stack);
      const refused = await stack.query(DeleteJobDocument, { id: running });
      expect(refused.data?.deleteFineTune).toMatchObject({
        __typename: 'UnsupportedOperationError',
        code: 'UnsupportedOperation',
        requestId: expect.any(String),
      });
      // The other reading: the vendor's messages taken literally.
      stack.sim.setActionRules({ deleteRule: 'active-only' });
      const finished = runningJob(stack, 'FAILED');
      const literal = await stack.query(DeleteJobDocument, { id: finished });
      expect(literal.data?.deleteFineTune).toMatchObject({
        __typename: 'UnsupportedOperationError',
        message: 'The fine-tuning job cannot be deleted because it has succeeded, failed, or been canceled.',
      });
      expect((await stack.query(DeleteJobDocument, { id: running })).data?.deleteFineTune).toEqual({
        __typename: 'DeletedFineTuneJob',
        id: running,
      });
      const missing = await stack.query(DeleteJobDocument, { id: running });
      expect(missing.data?.deleteFineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound' });
    });
  });

  describe('caches and shared reads stay true after an action', () => {
    it('a read in flight during a delete does not put the deleted job back in the cache', async () => {
      const id = runningJob(stack, 'SUCCEEDED');
      // The reply is made now (SUCCEEDED) and arrives after the delete.
      stack.sim.inject({ endpoint: 'getJob', jobId: id, action: { kind: 'delay-reply', ms: 300 }, times: 1 });
      const early = stack.query(JobByIdDocument, { id });
      await until(() => stack.sim.calls.some((call) => call.endpoint === 'getJob' && call.jobId === id));
      expect((await stack.query(DeleteJobDocument, { id })).data?.deleteFineTune.__typename).toBe('DeletedFineTuneJob');
      expect((await early).data?.fineTune).toMatchObject({ status: 'SUCCEEDED' });
      const after = await stack.query(JobByIdDocument, { id });
      expect(after.data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    });

    it('a list page in flight during a delete neither feeds the cache nor is joined by a later list', async () => {
      const id = runningJob(stack, 'SUCCEEDED');
      stack.sim.inject({ endpoint: 'listJobs', action: { kind: 'delay-reply', ms: 300 }, times: 1 });
      const calls = counter(stack);
      const early = stack.query(JobsPageDocument, { page: { number: 1, size: 100 } });
      await until(() => calls('listJobs') === 1);
      expect((await stack.query(DeleteJobDocument, { id })).data?.deleteFineTune.__typename).toBe('DeletedFineTuneJob');
      // Asked for after the delete, the same page: a call of its own, without the job.
      const later = await stack.query(JobsPageDocument, { page: { number: 1, size: 100 } });
      expect(calls('listJobs')).toBe(2);
      const ids = (page: unknown) => (page as { nodes: { id: string }[] }).nodes.map((node) => node.id);
      expect(ids(later.data?.fineTunes)).not.toContain(id);
      expect(ids((await early).data?.fineTunes)).toContain(id);
      expect((await stack.query(JobByIdDocument, { id })).data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    });

    it("the cancel's fresh read never joins a read that was in flight before the cancel", async () => {
      const id = runningJob(stack);
      stack.sim.inject({ endpoint: 'getJob', jobId: id, action: { kind: 'delay-reply', ms: 300 }, times: 1 });
      const calls = counter(stack);
      const early = stack.query(JobByIdDocument, { id });
      await until(() => calls('getJob') === 1);
      const result = await stack.query(CancelJobDocument, { id });
      expect(result.data?.cancelFineTune).toMatchObject({ status: 'CANCELING' });
      expect(calls('getJob')).toBe(2);
      expect((await early).data?.fineTune).toMatchObject({ status: 'RUNNING' });
    });
  });
});

describe('mutations: caches of running jobs and live subscribers', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Running jobs cached for a minute, subscribers polled once a minute: only the action can
    // make them see the new state in time.
    stack = await startStack({ env: { ...FAST, DASHSCOPE_ACTIVE_JOB_TTL_MS: '60000', DASHSCOPE_POLL_INTERVAL_MS: '60000' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.setActionRules({ deleteRule: 'finished-only', cancelingMs: 60_000 }));

  it('after a cancel, a cached running job is read fresh', async () => {
    const id = runningJob(stack);
    expect((await stack.query(JobByIdDocument, { id })).data?.fineTune).toMatchObject({ status: 'RUNNING' });
    const calls = counter(stack);
    expect((await stack.query(JobByIdDocument, { id })).data?.fineTune).toMatchObject({ status: 'RUNNING' });
    expect(calls()).toBe(0);
    expect((await stack.query(CancelJobDocument, { id })).data?.cancelFineTune).toMatchObject({ status: 'CANCELING' });
    expect((await stack.query(JobByIdDocument, { id })).data?.fineTune).toMatchObject({ status: 'CANCELING' });
  });

  it('status subscribers get the canceled job at once, not at the next poll', async () => {
    const id = runningJob(stack);
    const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id });
    try {
      expect((await subscription.next())?.data?.fineTuneStatus).toMatchObject({ id, status: 'RUNNING' });
      const calls = counter(stack);
      await stack.query(CancelJobDocument, { id });
      const event = await subscription.next(2_000);
      expect(event?.data?.fineTuneStatus).toMatchObject({ id, status: 'CANCELING' });
      // The subscriber got the cancel's own fresh read: no extra poll.
      expect(calls('getJob')).toBe(1);
    } finally {
      subscription.close();
    }
  });

  it('status subscribers of a deleted job learn at once that it is gone', async () => {
    stack.sim.setActionRules({ deleteRule: 'active-only' });
    const id = runningJob(stack);
    const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id });
    try {
      expect((await subscription.next())?.data?.fineTuneStatus).toMatchObject({ id, status: 'RUNNING' });
      expect((await stack.query(DeleteJobDocument, { id })).data?.deleteFineTune.__typename).toBe('DeletedFineTuneJob');
      const events = await subscription.rest(2_000);
      expect(events.map((event) => event.data?.fineTuneStatus)).toEqual([expect.objectContaining({ __typename: 'NotFoundError' })]);
      expect(subscription.completed).toBe(true);
    } finally {
      subscription.close();
    }
  });

  it('a log tail of a job canceled at once sends the lines written before the cancel, then completes', async () => {
    stack.sim.setActionRules({ cancelingMs: 0 });
    const id = runningJob(stack);
    const written = stack.sim.logs(id).length;
    const subscription = await subscribe(`${stack.url}/graphql`, TailJobLogsDocument, { id, after: null });
    try {
      for (let i = 0; i < written; i += 1) expect((await subscription.next())?.errors).toBeUndefined();
      stack.sim.appendLogs(id, ['last words']);
      expect((await stack.query(CancelJobDocument, { id })).data?.cancelFineTune).toMatchObject({ status: 'CANCELED' });
      // The status hub hands the tail the cancel's fresh read: it reads the log to its end without waiting for a poll.
      const events = await subscription.rest(2_000);
      expect(events.map((event) => event.data?.fineTuneLogs.text)).toEqual(['last words']);
      expect(subscription.completed).toBe(true);
    } finally {
      subscription.close();
    }
  });

  it('a log tail of a deleted job learns at once that it is gone (NotFound)', async () => {
    stack.sim.setActionRules({ deleteRule: 'active-only' });
    const id = runningJob(stack);
    const written = stack.sim.logs(id).length;
    const subscription = await subscribe(`${stack.url}/graphql`, TailJobLogsDocument, { id, after: null });
    try {
      for (let i = 0; i < written; i += 1) expect((await subscription.next())?.errors).toBeUndefined();
      expect((await stack.query(DeleteJobDocument, { id })).data?.deleteFineTune.__typename).toBe('DeletedFineTuneJob');
      const events = await subscription.rest(2_000);
      expect(events).toHaveLength(1);
      expect(events[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'NotFound' });
      expect(subscription.completed).toBe(true);
      expect(stack.gateway.logTail.pollers).toBe(0);
    } finally {
      subscription.close();
    }
  });
});

describe('mutations: idempotency keys belong to one credential', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { ...FAST, DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_API_KEY: undefined },
      simulator: { tenants: { 'sk-tenant-a': [], 'sk-tenant-b': [] } },
    });
  });
  afterAll(() => stack.close());

  it('the same key from two credentials makes two jobs, each answered only to its own credential', async () => {
    const input = { ...INPUT, idempotencyKey: 'shared-key' };
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const a = jobOf((await stack.query(CreateJobDocument, { input }, as('sk-tenant-a'))).data?.createFineTune);
    const b = jobOf((await stack.query(CreateJobDocument, { input }, as('sk-tenant-b'))).data?.createFineTune);
    expect(a.id).not.toBe(b.id);
    expect(stack.sim.jobs('sk-tenant-a').map((job) => job.job_id)).toEqual([a.id]);
    expect(stack.sim.jobs('sk-tenant-b').map((job) => job.job_id)).toEqual([b.id]);
    const againA = jobOf((await stack.query(CreateJobDocument, { input }, as('sk-tenant-a'))).data?.createFineTune);
    expect(againA.id).toBe(a.id);
    expect(stack.sim.count('createJob')).toBe(2);
    const missing = await stack.query(CreateJobDocument, { input });
    expect(missing.data?.createFineTune).toMatchObject({ __typename: 'AuthenticationError', code: 'MissingCredential' });
    expect(stack.sim.count('createJob')).toBe(2);
  });
});

describe('mutations: an action is repeated only after a refused connection', () => {
  let stack: Stack;
  let refusing: Transport;
  let attempts = 0;
  beforeAll(async () => {
    refusing = createTransport({ origin: `http://127.0.0.1:${await closedPort()}` });
    stack = await startStack({
      env: FAST,
      // The first upstream call meets a closed port (a real ECONNREFUSED: nothing sent); the others reach the simulator.
      wrapTransport: (real) => ({
        send: (request) => (attempts++ === 0 ? refusing.send(request) : real.send(request)),
        close: () => real.close(),
      }),
    });
  });
  afterAll(async () => {
    await stack.close();
    await refusing.close();
  });

  it('a create refused before sending is sent again, and reaches the upstream once', async () => {
    const calls = counter(stack);
    const result = await stack.query(CreateJobDocument, { input: { ...INPUT, idempotencyKey: 'refused-once' } });
    jobOf(result.data?.createFineTune);
    expect(attempts).toBe(2);
    expect(calls('createJob')).toBe(1);
    expect(calls()).toBe(1);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(5);
  }
}

/** A port on 127.0.0.1 that was free a moment ago and has nobody listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
