import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CancelJobDocument,
  CreateJobDocument,
  DeleteJobDocument,
  ExportCheckpointDocument,
  JobByIdDocument,
  JobsPageDocument,
} from './generated/graphql.js';
import { sampleValue } from './support/prometheus.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/** One attempt per upstream call (for when a retry layer exists), so counts are exact. */
const ONE_ATTEMPT = { DASHSCOPE_RETRY_MAX: '0', ...NO_CACHE };

describe('/metrics (Prometheus text) after real traffic', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: ONE_ATTEMPT });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.clearFaults());

  it('serves the Prometheus text format with our metric families and process metrics', async () => {
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const family of [
      'gateway_graphql_errors_total counter',
      'gateway_graphql_requests_in_flight gauge',
      'gateway_upstream_requests_total counter',
      'gateway_upstream_request_duration_seconds histogram',
      'gateway_upstream_retries_total counter',
      'gateway_upstream_timeouts_total counter',
      'gateway_dataloader_batch_size histogram',
      'gateway_cache_hits_total counter',
      'gateway_cache_misses_total counter',
      'gateway_upstream_budget_refusals_total counter',
      'gateway_redis_state gauge',
      'gateway_redis_fallbacks_total counter',
      'graphql_envelop_request counter',
      'graphql_envelop_request_duration histogram',
      'graphql_yoga_http_duration histogram',
      'process_cpu_user_seconds_total counter',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
    // No REDIS_URL here: the state says so.
    expect(text).toContain('gateway_redis_state{state="off"} 1');
    expect(text).toContain('gateway_redis_state{state="up"} 0');
  });

  it('counts operations, upstream calls by endpoint and status, typed union errors and batch sizes', async () => {
    const before = await stack.scrape();
    const ids = stack.sim
      .jobs()
      .slice(0, 3)
      .map((job) => job.job_id);

    // 3 × JobById (one found, one NotFound, one found) + 2 × JobsPage + one 6-alias query over 3 ids.
    await stack.query(JobByIdDocument, { id: ids[0]! });
    const missing = await stack.query(JobByIdDocument, { id: 'ft-000000000000-none' });
    expect(missing.data?.fineTune.__typename).toBe('NotFoundError');
    await stack.query(JobByIdDocument, { id: ids[1]! });
    await stack.query(JobsPageDocument, { page: { number: 1, size: 2 } });
    await stack.query(JobsPageDocument, { page: { number: 2, size: 2 } });
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: fineTune(id: "${ids[i % 3]}") { __typename }`);
    const { body } = await stack.raw({ query: `query Aliases { ${aliases.join(' ')} }` });
    expect(body.errors).toBeUndefined();

    const after = await stack.scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);

    expect(delta('graphql_envelop_request', { operationName: 'JobById', operationType: 'query' })).toBe(3);
    expect(delta('graphql_envelop_request', { operationName: 'JobsPage', operationType: 'query' })).toBe(2);
    expect(delta('graphql_envelop_request', { operationName: 'Aliases', operationType: 'query' })).toBe(1);
    expect(delta('graphql_envelop_request_duration_count', { operationName: 'JobById', operationType: 'query' })).toBe(3);
    expect(
      delta('graphql_yoga_http_duration_count', { method: 'POST', statusCode: '200', operationName: 'JobsPage', operationType: 'query' }),
    ).toBe(2);

    // 2 found by id + 3 distinct ids of the alias query = 5 GET 200s, 1 GET 404, 2 list calls.
    expect(delta('gateway_upstream_requests_total', { endpoint: 'getJob', status: '200' })).toBe(5);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'getJob', status: '404' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'listJobs', status: '200' })).toBe(2);
    expect(delta('gateway_upstream_request_duration_seconds_count', { endpoint: 'getJob', status: '200' })).toBe(5);
    expect(delta('gateway_upstream_request_duration_seconds_bucket', { endpoint: 'listJobs', status: '200', le: '+Inf' })).toBe(2);

    expect(delta('gateway_graphql_errors_total', { kind: 'union', type: 'NotFoundError' })).toBe(1);

    // Four batches: three single-id operations and one batch of 3 distinct ids (6 aliases).
    expect(delta('gateway_dataloader_batch_size_count', { loader: 'job' })).toBe(4);
    expect(delta('gateway_dataloader_batch_size_sum', { loader: 'job' })).toBe(6);
    expect(delta('gateway_dataloader_batch_size_bucket', { loader: 'job', le: '2' })).toBe(3);

    expect(sampleValue(after, 'gateway_graphql_requests_in_flight')).toBe(0);
  });

  it('counts errors[] entries by code, and upstream errors as typed union errors with their status', async () => {
    const before = await stack.scrape();
    await stack.raw({ query: '{ nope }' });
    await stack.raw('{not json');
    stack.sim.inject({
      endpoint: 'getJob',
      times: 1,
      action: { kind: 'status', status: 429, code: 'Throttling.RateQuota', retryAfter: '3' },
    });
    const throttled = await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    expect(throttled.data?.fineTune.__typename).toBe('ThrottlingError');
    stack.sim.inject({ endpoint: 'listJobs', times: 1, action: { kind: 'status', status: 503, code: 'ServiceUnavailable' } });
    const unavailable = await stack.query(JobsPageDocument, {});
    expect(unavailable.data?.fineTunes.__typename).toBe('UpstreamError');

    const after = await stack.scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('gateway_graphql_errors_total', { kind: 'graphql', type: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('gateway_graphql_errors_total', { kind: 'graphql', type: 'BAD_REQUEST' })).toBe(1);
    expect(delta('gateway_graphql_errors_total', { kind: 'union', type: 'ThrottlingError' })).toBe(1);
    expect(delta('gateway_graphql_errors_total', { kind: 'union', type: 'UpstreamError' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'getJob', status: '429' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'listJobs', status: '503' })).toBe(1);
    expect(delta('graphql_envelop_error_result', { operationName: 'Anonymous', operationType: 'query', phase: 'validate' })).toBe(1);
  });

  it('names the mutations and the action endpoints: createJob, cancelJob, deleteJob', async () => {
    const before = await stack.scrape();
    const created = await stack.query(CreateJobDocument, { input: { model: 'qwen3-14b', trainingFileIds: ['file-1'] } });
    if (created.data?.createFineTune.__typename !== 'FineTuneJob') throw new Error(JSON.stringify(created));
    const { id } = created.data.createFineTune;
    expect((await stack.query(CancelJobDocument, { id })).data?.cancelFineTune.__typename).toBe('FineTuneJob');
    const refused = await stack.query(DeleteJobDocument, { id });
    expect(refused.data?.deleteFineTune.__typename).toBe('UnsupportedOperationError');

    const after = await stack.scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('graphql_envelop_request', { operationName: 'CreateJob', operationType: 'mutation' })).toBe(1);
    expect(delta('graphql_envelop_request', { operationName: 'CancelJob', operationType: 'mutation' })).toBe(1);
    expect(delta('graphql_envelop_request', { operationName: 'DeleteJob', operationType: 'mutation' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'createJob', status: '200' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'cancelJob', status: '200' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'getJob', status: '200' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'deleteJob', status: '400' })).toBe(1);
    expect(delta('gateway_upstream_request_duration_seconds_count', { endpoint: 'createJob', status: '200' })).toBe(1);
    expect(delta('gateway_graphql_errors_total', { kind: 'union', type: 'UnsupportedOperationError' })).toBe(1);
  });

  it('names the export mutation and its endpoint: exportCheckpoint', async () => {
    const before = await stack.scrape();
    const input = { jobId: 'ft-202410291653-1c7f', checkpoint: 'checkpoint-160', modelName: 'metrics-export' };
    const exported = await stack.query(ExportCheckpointDocument, { input });
    expect(exported.data?.exportFineTuneCheckpoint.__typename).toBe('FineTuneCheckpoint');
    stack.sim.inject({ endpoint: 'exportCheckpoint', times: 1, action: { kind: 'status', status: 500, code: 'InternalError' } });
    const failed = await stack.query(ExportCheckpointDocument, { input: { ...input, checkpoint: 'checkpoint-320' } });
    expect(failed.data?.exportFineTuneCheckpoint.__typename).toBe('UpstreamError');

    const after = await stack.scrape();
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('graphql_envelop_request', { operationName: 'ExportCheckpoint', operationType: 'mutation' })).toBe(2);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'exportCheckpoint', status: '200' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'exportCheckpoint', status: '500' })).toBe(1);
    expect(delta('gateway_upstream_requests_total', { endpoint: 'listCheckpoints', status: '200' })).toBe(1);
    expect(delta('gateway_upstream_request_duration_seconds_count', { endpoint: 'exportCheckpoint', status: '200' })).toBe(1);
  });

  it('shows a request in flight while it waits for the upstream, and none after', async () => {
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'delay', ms: 300 } });
    const pending = stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    await waitFor(() => stack.sim.calls.some((call) => call.status === 0));
    expect(sampleValue(await stack.scrape(), 'gateway_graphql_requests_in_flight')).toBe(1);
    expect((await pending).data?.fineTune.__typename).toBe('FineTuneJob');
    expect(sampleValue(await stack.scrape(), 'gateway_graphql_requests_in_flight')).toBe(0);
  });

  it('exposes counters for other layers to report into (retries, cache hits and misses)', async () => {
    stack.gateway.metrics.upstream.retries.inc({ endpoint: 'getJob', reason: '503' });
    stack.gateway.metrics.cache.hits.inc({ cache: 'finished-jobs' }, 2);
    stack.gateway.metrics.cache.misses.inc({ cache: 'finished-jobs' });
    const text = await stack.scrape();
    expect(sampleValue(text, 'gateway_upstream_retries_total', { endpoint: 'getJob', reason: '503' })).toBe(1);
    expect(sampleValue(text, 'gateway_cache_hits_total', { cache: 'finished-jobs' })).toBe(2);
    expect(sampleValue(text, 'gateway_cache_misses_total', { cache: 'finished-jobs' })).toBe(1);
  });
});

describe('metrics of gateways built with their own config', () => {
  it('have a registry per gateway: two gateways in one process count only their own traffic', async () => {
    const [a, b] = await Promise.all([startStack({ env: ONE_ATTEMPT }), startStack({ env: ONE_ATTEMPT })]);
    try {
      await a.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      await a.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      await b.query(JobsPageDocument, {});
      const [textA, textB] = await Promise.all([a.scrape(), b.scrape()]);
      expect(sampleValue(textA, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: '200' })).toBe(2);
      expect(sampleValue(textA, 'gateway_upstream_requests_total', { endpoint: 'listJobs', status: '200' })).toBe(0);
      expect(sampleValue(textB, 'gateway_upstream_requests_total', { endpoint: 'listJobs', status: '200' })).toBe(1);
      expect(sampleValue(textB, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: '200' })).toBe(0);
      expect(sampleValue(textA, 'graphql_envelop_request', { operationName: 'JobById', operationType: 'query' })).toBe(2);
      expect(sampleValue(textB, 'graphql_envelop_request', { operationName: 'JobById', operationType: 'query' })).toBe(0);
      expect(textB).toContain('# TYPE gateway_upstream_requests_total counter');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a call that hangs past the deadline counts as a timeout', async () => {
    // A short deadline of its own, so ordinary calls elsewhere never come near it on a busy machine.
    const stack = await startStack({ env: { ...ONE_ATTEMPT, DASHSCOPE_TIMEOUT_MS: '300' } });
    try {
      stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'hang' } });
      const result = await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      expect(result.data?.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'Timeout' });
      const text = await stack.scrape();
      expect(sampleValue(text, 'gateway_upstream_timeouts_total', { endpoint: 'getJob' })).toBe(1);
      expect(sampleValue(text, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: 'Timeout' })).toBe(1);
      expect(sampleValue(text, 'gateway_graphql_errors_total', { kind: 'union', type: 'UpstreamError' })).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('METRICS_ENABLED=false leaves /metrics unserved', async () => {
    const stack = await startStack({ env: { METRICS_ENABLED: 'false' } });
    try {
      const response = await fetch(`${stack.url}/metrics`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
      // The gateway still counts (other layers report into the objects); it just does not serve them.
      await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      const text = await stack.gateway.metrics.registry.metrics();
      expect(sampleValue(text, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: '200' })).toBe(1);
    } finally {
      await stack.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
