import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFineTuneJob } from '../src/upstream/job-mapping.js';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

describe('field mapping and paging against the simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('maps every documented field of the vendor example job', async () => {
    const result = await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.fineTune).toEqual({
      __typename: 'FineTuneJob',
      id: 'ft-202410291653-1c7f',
      jobName: 'ft-202410291653-1c7f',
      status: 'SUCCEEDED',
      rawStatus: 'SUCCEEDED',
      finetunedOutput: 'qwen3-14b-suffix-ft-202410291653-1c7f',
      model: 'qwen3-14b',
      baseModel: 'qwen3-14b',
      trainingFileIds: ['976bd01a-f30b-4414-86fd-50c54486e3ef'],
      validationFileIds: [],
      hyperParameters: {
        nEpochs: 3,
        batchSize: 32,
        maxLength: 8192,
        learningRate: 1.6e-5,
        lrSchedulerType: 'linear',
        split: 0.9,
        raw: { n_epochs: 3, batch_size: 32, max_length: 8192, learning_rate: '1.6e-5', lr_scheduler_type: 'linear', split: 0.9 },
      },
      trainingType: 'sft',
      createTime: '2024-10-29 16:53:53',
      endTime: '2024-10-29 17:11:26',
      createdAt: '2024-10-29T16:53:53+08:00',
      endedAt: '2024-10-29T17:11:26+08:00',
      durationSeconds: 17 * 60 + 33,
      isTerminal: true,
      workspaceId: 'llm-demo-workspace',
      userIdentity: '1396993924585947',
      modifier: '1396993924585947',
      creator: '1396993924585947',
      group: 'llm',
      usage: 279808,
      outputCnt: null,
      maxOutputCnt: null,
    });
    expect(stack.sim.count('getJob')).toBeGreaterThanOrEqual(1);
  });

  it('maps checkpoint counts and leaves absent optional fields null', async () => {
    const cosy = stack.sim.jobs().find((job) => job.model === 'cosyvoice-v3-flash' && job.status === 'SUCCEEDED');
    const running = stack.sim.jobs().find((job) => job.status === 'RUNNING');
    expect(cosy && running).toBeTruthy();
    const a = await stack.query(JobByIdDocument, { id: cosy!.job_id });
    expect(a.data?.fineTune).toMatchObject({ outputCnt: cosy!.output_cnt, maxOutputCnt: 10, isTerminal: true });
    const b = await stack.query(JobByIdDocument, { id: running!.job_id });
    expect(b.data?.fineTune).toMatchObject({
      status: 'RUNNING',
      isTerminal: false,
      endTime: null,
      endedAt: null,
      durationSeconds: null,
      finetunedOutput: null,
      usage: null,
    });
  });

  it('reads times in DASHSCOPE_UTC_OFFSET', () => {
    const job = toFineTuneJob({ job_id: 'x', create_time: '2024-10-29 16:53:53', end_time: '2024-10-29 17:00:00' }, '-05:30');
    expect(job.createdAt).toBe('2024-10-29T16:53:53-05:30');
    expect(job.durationSeconds).toBe(367);
  });

  it('pages through the whole list in the simulator order, with consistent paging info', async () => {
    const truth = stack.sim.jobs();
    const seen: string[] = [];
    const cursors = new Set<string>();
    for (let number = 1; ; number++) {
      const result = await stack.query(JobsPageDocument, { page: { number, size: 20 } });
      const page = result.data?.fineTunes;
      if (page?.__typename !== 'JobConnection') throw new Error(`unexpected ${JSON.stringify(result)}`);
      expect(page.totalCount).toBe(truth.length);
      expect(page.totalPages).toBe(Math.ceil(truth.length / 20));
      expect(page.pageNumber).toBe(number);
      expect(page.pageSize).toBe(20);
      expect(page.pageInfo.hasPreviousPage).toBe(number > 1);
      expect(page.edges.map((edge) => edge.node.id)).toEqual(page.nodes.map((node) => node.id));
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      for (const edge of page.edges) cursors.add(edge.cursor);
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(truth.map((job) => job.job_id));
    expect(cursors.size).toBe(truth.length);
  });

  it('filters by model like the upstream does', async () => {
    const truth = stack.sim.jobs().filter((job) => job.model === 'qwen3-14b');
    const result = await stack.query(JobsPageDocument, { model: 'qwen3-14b', page: { size: 100 } });
    const page = result.data?.fineTunes;
    if (page?.__typename !== 'JobConnection') throw new Error('expected a page');
    expect(page.totalCount).toBe(truth.length);
    expect(page.nodes.map((node) => node.id)).toEqual(truth.map((job) => job.job_id));
    expect(page.nodes.every((node) => node.model === 'qwen3-14b')).toBe(true);
    expect(stack.sim.calls.at(-1)?.url).toContain('model=qwen3-14b');
  });

  it('answers an empty page past the end', async () => {
    const result = await stack.query(JobsPageDocument, { page: { number: 99, size: 10 } });
    expect(result.data?.fineTunes).toMatchObject({
      __typename: 'JobConnection',
      nodes: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
    });
  });

  it('defaults to page 1 of 10', async () => {
    const result = await stack.query(JobsPageDocument, {});
    expect(result.data?.fineTunes).toMatchObject({ pageNumber: 1, pageSize: 10 });
    expect(stack.sim.calls.at(-1)?.url).toBe('/api/v1/fine-tunes?page_no=1&page_size=10');
  });
});
