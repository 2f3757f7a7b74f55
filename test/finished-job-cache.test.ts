import { afterEach, describe, expect, it } from 'vitest';
import { createCredential } from '../src/upstream/credential.js';
import { createDemoJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { JobByIdDocument, JobsPageDocument } from './generated/graphql.js';
import { type Stack, type StackOptions, startStack } from './support/stack.js';

const jobs = createDemoJobs({ count: 12 });
const finished = jobs.filter((job) => job.status === 'SUCCEEDED' || job.status === 'FAILED' || job.status === 'CANCELED');
const running = jobs.find((job) => job.status === 'RUNNING')!;

describe('tenant-safe caching of finished jobs', () => {
  let stack: Stack | undefined;
  const start = async (options: StackOptions = {}) => {
    stack = await startStack(options);
    return stack;
  };
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  const getCount = (s: Stack) => s.sim.count('getJob');

  it('serves a finished job from memory on later requests', async () => {
    const s = await start();
    for (const job of finished.slice(0, 3)) {
      for (let i = 0; i < 3; i++) {
        const result = await s.query(JobByIdDocument, { id: job.job_id });
        expect(result.data?.fineTune).toMatchObject({ id: job.job_id, status: job.status, isTerminal: true });
      }
    }
    expect(getCount(s)).toBe(3);
    expect(s.gateway.client.stats()).toMatchObject({ hits: 6, misses: 3 });
  });

  it('never caches a running job by default, so its status change is seen at once', async () => {
    const s = await start();
    const first = await s.query(JobByIdDocument, { id: running.job_id });
    expect(first.data?.fineTune).toMatchObject({ status: 'RUNNING' });
    s.sim.updateJob(running.job_id, { status: 'SUCCEEDED', end_time: '2030-01-01 00:00:00' });
    const second = await s.query(JobByIdDocument, { id: running.job_id });
    expect(second.data?.fineTune).toMatchObject({ status: 'SUCCEEDED', isTerminal: true });
    expect(getCount(s)).toBe(2);
    // Now finished, it is cached.
    await s.query(JobByIdDocument, { id: running.job_id });
    expect(getCount(s)).toBe(2);
  });

  it('serves running jobs stale for at most DASHSCOPE_ACTIVE_JOB_TTL_MS', async () => {
    const s = await start({ env: { DASHSCOPE_ACTIVE_JOB_TTL_MS: '300' } });
    await s.query(JobByIdDocument, { id: running.job_id });
    s.sim.updateJob(running.job_id, { status: 'FAILED' });
    const stale = await s.query(JobByIdDocument, { id: running.job_id });
    expect(stale.data?.fineTune).toMatchObject({ status: 'RUNNING' });
    expect(getCount(s)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const fresh = await s.query(JobByIdDocument, { id: running.job_id });
    expect(fresh.data?.fineTune).toMatchObject({ status: 'FAILED' });
    expect(getCount(s)).toBe(2);
  });

  it('expires finished jobs after DASHSCOPE_CACHE_TTL_MS and bounds the entries', async () => {
    const s = await start({ env: { DASHSCOPE_CACHE_TTL_MS: '300', DASHSCOPE_CACHE_MAX_ENTRIES: '2' } });
    const [a, b, c] = finished;
    await s.query(JobByIdDocument, { id: a!.job_id });
    await s.query(JobByIdDocument, { id: b!.job_id });
    await s.query(JobByIdDocument, { id: c!.job_id }); // evicts a (least recently used)
    expect(s.gateway.client.stats().size).toBe(2);
    await s.query(JobByIdDocument, { id: c!.job_id });
    expect(getCount(s)).toBe(3);
    await s.query(JobByIdDocument, { id: a!.job_id });
    expect(getCount(s)).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await s.query(JobByIdDocument, { id: a!.job_id });
    expect(getCount(s)).toBe(5);
  });

  it('DASHSCOPE_CACHE_TTL_MS=0 turns the cache off', async () => {
    const s = await start({ env: { DASHSCOPE_CACHE_TTL_MS: '0' } });
    await s.query(JobByIdDocument, { id: finished[0]!.job_id });
    await s.query(JobByIdDocument, { id: finished[0]!.job_id });
    expect(getCount(s)).toBe(2);
  });

  it('finished jobs from a list page make later fineTune(id) requests free', async () => {
    const s = await start({ simulator: { tenants: { 'sk-simulator-demo': jobs } } });
    const page = await s.query(JobsPageDocument, { page: { size: 20 } });
    expect(page.data?.fineTunes).toMatchObject({ __typename: 'JobConnection' });
    for (const job of finished) await s.query(JobByIdDocument, { id: job.job_id });
    expect(s.sim.calls.filter((c) => c.endpoint === 'getJob').map((c) => c.jobId)).toEqual([]);
    await s.query(JobByIdDocument, { id: running.job_id });
    expect(getCount(s)).toBe(1);
  });

  it('never serves one credential an entry cached for another', async () => {
    const mine: WireJob = { ...finished[0]!, job_id: 'ft-shared-id', status: 'SUCCEEDED', finetuned_output: 'model-of-a' };
    const theirs: WireJob = { ...finished[0]!, job_id: 'ft-shared-id', status: 'FAILED', finetuned_output: undefined };
    const s = await start({
      env: { DASHSCOPE_FORWARD_AUTH: 'true' },
      simulator: { tenants: { 'sk-a': [mine], 'sk-b': [theirs], 'sk-c': [] } },
    });
    const as = (key: string) => s.query(JobByIdDocument, { id: 'ft-shared-id' }, { authorization: `Bearer ${key}` });
    expect((await as('sk-a')).data?.fineTune).toMatchObject({ status: 'SUCCEEDED', finetunedOutput: 'model-of-a' });
    expect((await as('sk-b')).data?.fineTune).toMatchObject({ status: 'FAILED', finetunedOutput: null });
    expect((await as('sk-c')).data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    // Interleaved again: A and B are now served from their own entries, C still asks upstream.
    expect((await as('sk-a')).data?.fineTune).toMatchObject({ finetunedOutput: 'model-of-a' });
    expect((await as('sk-b')).data?.fineTune).toMatchObject({ status: 'FAILED' });
    expect((await as('sk-c')).data?.fineTune).toMatchObject({ __typename: 'NotFoundError' });
    expect(s.sim.calls.map((call) => call.apiKey)).toEqual(['sk-a', 'sk-b', 'sk-c', 'sk-c']);
  });

  it('keys entries by workspace as well as by key', () => {
    expect(createCredential('k', 'ws-1').scope).not.toBe(createCredential('k', 'ws-2').scope);
    expect(createCredential('k', null).scope).not.toBe(createCredential('k2', null).scope);
    expect(createCredential('sk-secret', null).scope).not.toContain('sk-secret');
  });

  it('concurrent identical GETs for one credential share one upstream call; other credentials do not', async () => {
    const s = await start({
      env: { DASHSCOPE_FORWARD_AUTH: 'true' },
      simulator: { tenants: { 'sk-a': [running], 'sk-b': [running] }, latencyMs: 100 },
    });
    const as = (key: string) => s.query(JobByIdDocument, { id: running.job_id }, { authorization: `Bearer ${key}` });
    const results = await Promise.all([as('sk-a'), as('sk-a'), as('sk-a'), as('sk-a'), as('sk-b'), as('sk-b')]);
    for (const result of results) expect(result.data?.fineTune).toMatchObject({ id: running.job_id, status: 'RUNNING' });
    expect(s.sim.calls.map((call) => call.apiKey).sort()).toEqual(['sk-a', 'sk-b']);
  });

  it('answers GET queries with a private Cache-Control, never public', async () => {
    const s = await start();
    const query = encodeURIComponent('{ fineTune(id: "ft-202410291653-1c7f") { __typename } }');
    const get = await fetch(`${s.url}/graphql?query=${query}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('private, no-cache');
    expect(get.headers.get('vary')).toMatch(/Authorization/i);
    const post = await s.raw({ query: '{ fineTune(id: "ft-202410291653-1c7f") { __typename } }' });
    expect(post.status).toBe(200);
    const postHeaders = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(postHeaders.headers.get('cache-control')).toBe('private, no-store');
  });
});
