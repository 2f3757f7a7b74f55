import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_OTLP_TRACES_ENDPOINT, loadConfig } from '../src/config.js';
import { createTracerProvider } from '../src/telemetry/tracing.js';
import { CancelJobDocument, CreateJobDocument, ExportCheckpointDocument, JobByIdDocument } from './generated/graphql.js';
import { createLogCapture } from './support/log-capture.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/** `00-<trace id>-<parent span id>-<flags>` */
function parseTraceparent(header: string | null): { traceId: string; spanId: string; flags: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header ?? '');
  if (!match) throw new Error(`not a W3C traceparent: ${header}`);
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

describe('OpenTelemetry spans (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const logs = createLogCapture();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { LOG_LEVEL: 'info', DASHSCOPE_RETRY_MAX: '0', ...NO_CACHE }, tracerProvider: provider, logs: logs });
  });
  afterAll(async () => {
    await stack.close();
    await provider.shutdown();
  });
  beforeEach(() => {
    exporter.reset();
    logs.clear();
    stack.sim.clearFaults();
  });

  const spans = () => exporter.getFinishedSpans();
  const serverSpan = (): ReadableSpan => {
    const found = spans().filter((span) => span.kind === SpanKind.SERVER);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('one SERVER span per operation, one CLIENT child span per upstream call, and their traceparent sent upstream', async () => {
    const ids = stack.sim
      .jobs()
      .slice(0, 2)
      .map((job) => job.job_id);
    const before = stack.sim.calls.length;
    const { body } = await stack.raw({
      query: `query TwoJobs { a: fineTune(id: "${ids[0]}") { __typename } b: fineTune(id: "${ids[1]}") { __typename } }`,
    });
    expect(body.errors).toBeUndefined();

    const operation = serverSpan();
    expect(operation.name).toBe('query TwoJobs');
    expect(operation.attributes).toMatchObject({
      'graphql.operation.name': 'TwoJobs',
      'graphql.operation.type': 'query',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'gateway.upstream.calls': 2,
    });
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(operation.parentSpanContext).toBeUndefined();

    const upstream = spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(upstream).toHaveLength(2);
    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(2);
    for (const span of upstream) {
      expect(span.name).toBe('GET /api/v1/fine-tunes/{job_id}');
      expect(span.spanContext().traceId).toBe(operation.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
      const call = calls.find((candidate) => candidate.requestId === span.attributes['dashscope.request_id']);
      expect(call).toBeDefined();
      expect(span.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'server.port': stack.sim.port,
        'url.full': `${stack.sim.origin}${call!.url}`,
        'dashscope.endpoint': 'getJob',
      });
      // What the simulator received is this very span: same trace, this span as the parent.
      const traceparent = parseTraceparent(call!.traceparent);
      expect(traceparent.traceId).toBe(span.spanContext().traceId);
      expect(traceparent.spanId).toBe(span.spanContext().spanId);
      expect(traceparent.flags).toBe('01');
    }

    // The request's log line carries the trace id, so logs and traces meet.
    expect(logs.requestLines()).toEqual([expect.objectContaining({ operationName: 'TwoJobs', traceId: operation.spanContext().traceId })]);
  });

  it('names mutations and the action endpoints: a span per call with its method and route, a log line per request', async () => {
    const created = await stack.query(CreateJobDocument, { input: { model: 'qwen3-14b', trainingFileIds: ['file-1'] } });
    if (created.data?.createFineTune.__typename !== 'FineTuneJob') throw new Error(JSON.stringify(created));
    const { id } = created.data.createFineTune;
    const createSpans = spans();
    expect(createSpans.map((span) => span.name).sort()).toEqual(['POST /api/v1/fine-tunes', 'mutation CreateJob']);
    expect(createSpans.find((span) => span.kind === SpanKind.CLIENT)?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'dashscope.endpoint': 'createJob',
    });
    exporter.reset();
    await stack.query(CancelJobDocument, { id });
    const operation = serverSpan();
    expect(operation.name).toBe('mutation CancelJob');
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'gateway.upstream.calls': 2 });
    const upstream = spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(upstream.map((span) => span.name)).toEqual(['POST /api/v1/fine-tunes/{job_id}/cancel', 'GET /api/v1/fine-tunes/{job_id}']);
    expect(upstream.map((span) => span.attributes['dashscope.endpoint'])).toEqual(['cancelJob', 'getJob']);
    for (const span of upstream) expect(span.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    expect(logs.requestLines().at(-1)).toMatchObject({
      operationName: 'CancelJob',
      operationType: 'mutation',
      upstreamCalls: 2,
      traceId: operation.spanContext().traceId,
    });
  });

  it('names the export: its upstream GET by route (never the checkpoint or model name), then the checkpoint list', async () => {
    const input = { jobId: 'ft-202410291653-1c7f', checkpoint: 'checkpoint-160', modelName: 'traced-export' };
    expect((await stack.query(ExportCheckpointDocument, { input })).data?.exportFineTuneCheckpoint.__typename).toBe('FineTuneCheckpoint');
    const operation = serverSpan();
    expect(operation.name).toBe('mutation ExportCheckpoint');
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'gateway.upstream.calls': 2 });
    const upstream = spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(upstream.map((span) => span.name)).toEqual([
      'GET /api/v1/fine-tunes/{job_id}/export/{checkpoint}',
      'GET /api/v1/fine-tunes/{job_id}/checkpoints',
    ]);
    expect(upstream.map((span) => span.attributes['dashscope.endpoint'])).toEqual(['exportCheckpoint', 'listCheckpoints']);
    expect(upstream[0]?.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(logs.requestLines().at(-1)).toMatchObject({ operationName: 'ExportCheckpoint', operationType: 'mutation', upstreamCalls: 2 });
  });

  it('continues the trace of an incoming traceparent (a federation router, a traced frontend)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const before = stack.sim.calls.length;
    await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' }, { traceparent: `00-${traceId}-${parentSpanId}-01` });
    const operation = serverSpan();
    expect(operation.spanContext().traceId).toBe(traceId);
    expect(operation.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(parseTraceparent(stack.sim.calls[before]!.traceparent).traceId).toBe(traceId);
  });

  it('marks failed upstream calls and operations with errors[] as errors; union errors are attributes', async () => {
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'status', status: 404 } });
    await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    const notFound = spans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(notFound.status.code).toBe(SpanStatusCode.ERROR);
    expect(notFound.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': '404' });
    expect(notFound.attributes['dashscope.request_id']).toBe(stack.sim.calls.at(-1)!.requestId);
    // A NotFoundError is data, not a failed operation.
    expect(serverSpan().status.code).toBe(SpanStatusCode.UNSET);
    expect(serverSpan().attributes['gateway.error_types']).toEqual(['NotFoundError']);

    exporter.reset();
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'reset' } });
    await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    const reset = spans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(reset.status.code).toBe(SpanStatusCode.ERROR);
    expect(reset.attributes['error.type']).toBe('ConnectionReset');

    exporter.reset();
    await stack.raw({ query: 'query Broken { nope }' });
    expect(serverSpan().status.code).toBe(SpanStatusCode.ERROR);
    expect(serverSpan().name).toBe('query Broken');
    expect(serverSpan().attributes['gateway.error_types']).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(spans().filter((span) => span.kind === SpanKind.CLIENT)).toHaveLength(0);
  });
});

describe('with tracing off (the default)', () => {
  it('sends no traceparent upstream', async () => {
    const stack = await startStack();
    try {
      expect(stack.config.tracing).toBeNull();
      await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      await stack.raw({ query: '{ fineTunes { __typename } }' });
      expect(stack.sim.calls).toHaveLength(2);
      expect(stack.sim.calls.map((call) => call.traceparent)).toEqual([null, null]);
    } finally {
      await stack.close();
    }
  });

  it('an incoming traceparent is not forwarded either', async () => {
    const stack = await startStack();
    try {
      await stack.query(
        JobByIdDocument,
        { id: 'ft-202410291653-1c7f' },
        { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      );
      expect(stack.sim.calls[0]!.traceparent).toBeNull();
    } finally {
      await stack.close();
    }
  });
});

describe('OTLP/HTTP export, configured from the environment', () => {
  it('ships the spans to the configured collector (a local one on 127.0.0.1)', async () => {
    const received: { path: string; contentType: string | undefined; body: string }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    const tracing = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'gateway-under-test' }).tracing;
    expect(tracing).toEqual({ endpoint: `${endpoint}/v1/traces`, serviceName: 'gateway-under-test', sampleRatio: 1 });
    const provider = await createTracerProvider(tracing!);
    const stack = await startStack({ tracerProvider: provider });
    try {
      await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      await provider.forceFlush();
      expect(received.length).toBeGreaterThan(0);
      expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
      const exported = received.map(
        (request) =>
          JSON.parse(request.body) as {
            resourceSpans: {
              resource: { attributes: { key: string; value: { stringValue?: string } }[] };
              scopeSpans: { spans: { name: string }[] }[];
            }[];
          },
      );
      const resourceSpans = exported.flatMap((request) => request.resourceSpans);
      const names = resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name)));
      expect(names.sort()).toEqual(['GET /api/v1/fine-tunes/{job_id}', 'query JobById']);
      expect(resourceSpans[0]!.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'gateway-under-test' } });
    } finally {
      await stack.close();
      await provider.shutdown();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('is off unless configured, and can be forced on or off', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_TRACES_ENABLED: 'true' }).tracing).toEqual({
      endpoint: DEFAULT_OTLP_TRACES_ENDPOINT,
      serviceName: 'fine-tunes-gateway',
      sampleRatio: 1,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/custom' }).tracing?.endpoint).toBe(
      'http://127.0.0.1:4318/custom',
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/', OTEL_TRACES_SAMPLER_ARG: '0.25' }).tracing).toMatchObject({
      endpoint: 'http://127.0.0.1:4318/v1/traces',
      sampleRatio: 0.25,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_ENABLED: 'false' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
    expect(() => loadConfig({ OTEL_TRACES_ENABLED: 'true', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG must be a number in 0..1, got "2"/,
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(/must be an http\(s\) URL/);
  });
});
