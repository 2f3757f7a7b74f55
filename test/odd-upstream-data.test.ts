import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoJobs, DEMO_API_KEY } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/** Jobs that do not match the vendor's docs, mixed into an otherwise normal tenant. */
const odd: WireJob[] = [
  { job_id: 'ft-odd-status', status: 'ARCHIVED_FOREVER', model: 'qwen3-8b', create_time: '2030-01-01 00:00:05' },
  { job_id: 'ft-odd-succeed', status: 'SUCCEED', model: 'qwen3-8b', create_time: '2030-01-01 00:00:04', end_time: '2030-01-01 00:10:04' },
  {
    job_id: 'ft-odd-types',
    status: 'RUNNING',
    create_time: 'yesterday-ish',
    training_file_ids: 'not-a-list' as unknown as string[],
    hyper_parameters: { n_epochs: '4', learning_rate: 0.0002, batch_size: 'big', split: 'x', warmup_ratio: 0.1, lora_rank: 8 },
    usage: 1e12,
    model: 'qwen3-8b',
  } as WireJob,
  { job_id: 'ft-odd-bare', create_time: '2030-01-01 00:00:02' } as WireJob,
];

describe('upstream data that does not match the docs', () => {
  let stack: Stack;
  beforeAll(async () => {
    const page = [
      ...odd,
      { status: 'RUNNING', model: 'no id at all' } as unknown as WireJob,
      ...createDemoJobs({ count: 3, vendorExamples: false }),
    ];
    stack = await startStack({ simulator: { tenants: { [DEMO_API_KEY]: page } } });
  });
  afterAll(() => stack.close());

  it('keeps the page alive: unknown status -> UNKNOWN with the raw value, prose spelling mapped', async () => {
    const result = await stack.query(JobsPageDocument, { page: { size: 20 } });
    expect(result.errors).toBeUndefined();
    const page = result.data?.fineTunes;
    if (page?.__typename !== 'JobConnection') throw new Error('expected a page');
    const byId = new Map(page.nodes.map((node) => [node.id, node]));
    expect(byId.get('ft-odd-status')).toMatchObject({ status: 'UNKNOWN', rawStatus: 'ARCHIVED_FOREVER', isTerminal: false });
    expect(byId.get('ft-odd-succeed')).toMatchObject({ status: 'SUCCEEDED', rawStatus: 'SUCCEED', isTerminal: true });
    expect(byId.get('ft-odd-bare')).toMatchObject({ status: 'UNKNOWN', rawStatus: '', model: '' });
    // The entry without a job id cannot be a FineTuneJob; every other job is served.
    expect(page.nodes).toHaveLength(odd.length + 3);
  });

  it('degrades mistyped fields to null and keeps extra hyper-parameters in raw', async () => {
    const result = await stack.query(JobByIdDocument, { id: 'ft-odd-types' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'FineTuneJob',
      createTime: 'yesterday-ish',
      createdAt: null,
      trainingFileIds: [],
      usage: null,
      hyperParameters: {
        nEpochs: 4,
        learningRate: 0.0002,
        batchSize: null,
        split: null,
        raw: { n_epochs: '4', learning_rate: 0.0002, batch_size: 'big', split: 'x', warmup_ratio: 0.1, lora_rank: 8 },
      },
    });
  });

  it('answers a job with only an id', async () => {
    const result = await stack.query(JobByIdDocument, { id: 'ft-odd-bare' });
    expect(result.data?.fineTune).toMatchObject({
      __typename: 'FineTuneJob',
      hyperParameters: null,
      trainingFileIds: [],
      createdAt: '2030-01-01T00:00:02+08:00',
    });
  });
});
