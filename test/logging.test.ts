import { spawnSync } from 'node:child_process';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { createRequestTelemetry } from '../src/telemetry/request-telemetry.js';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { JobByIdDocument, JobsWithDetailsDocument } from './generated/graphql.js';
import { createLogCapture } from './support/log-capture.js';
import { sampleValue } from './support/prometheus.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

describe('one structured log line per GraphQL request', () => {
  const logs = createLogCapture();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { LOG_LEVEL: 'info', DASHSCOPE_RETRY_MAX: '0', ...NO_CACHE }, logs: logs });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    logs.clear();
    stack.sim.clearFaults();
  });

  it('names the operation, its duration, its upstream calls and their request_ids, and the error types', async () => {
    const before = stack.sim.calls.length;
    const ids = stack.sim
      .jobs()
      .slice(3, 5)
      .map((job) => job.job_id);
    const { body } = await stack.raw({
      query: `query TwoAndAMissingOne($a: ID!, $b: ID!) {
        a: fineTune(id: $a) { __typename }
        b: fineTune(id: $b) { __typename }
        gone: fineTune(id: "ft-000000000000-gone") { __typename ... on Error { requestId } }
      }`,
      variables: { a: ids[0], b: ids[1] },
    });
    expect(body.data.gone.__typename).toBe('NotFoundError');
    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(3);

    const lines = logs.requestLines();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      level: 30,
      service: 'fine-tunes-gateway',
      msg: 'graphql request',
      operationName: 'TwoAndAMissingOne',
      operationType: 'query',
      method: 'POST',
      httpStatus: 200,
      upstreamCalls: 3,
      errorTypes: ['NotFoundError'],
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.durationMs as number).toBeGreaterThan(0);
    expect(new Set(line.upstreamRequestIds as string[])).toEqual(new Set(calls.map((call) => call.requestId)));
    expect(line.upstreamRequestIds).toContain(body.data.gone.requestId);
    // Tracing is off: no trace id to correlate with.
    expect(line).not.toHaveProperty('traceId');
  });

  it('logs every GraphQL request once, the failed ones too, and nothing for /metrics, /health or GraphiQL', async () => {
    await stack.query(JobsWithDetailsDocument, { page: { number: 1, size: 3 } });
    await stack.raw({ query: '{ fineTune(id: "ft-1") { nope } }' });
    await stack.raw('{not json');
    stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'status', status: 500, code: 'InternalError' } });
    await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
    for (const path of ['/metrics', '/health']) await (await fetch(`${stack.url}${path}`)).arrayBuffer();
    await (await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } })).arrayBuffer();

    const lines = logs.requestLines();
    expect(lines.map((line) => [line.operationName, line.httpStatus, line.errorTypes])).toEqual([
      ['JobsWithDetails', 200, []],
      [null, 400, ['GRAPHQL_VALIDATION_FAILED']],
      [null, 400, ['BAD_REQUEST']],
      ['JobById', 200, ['UpstreamError']],
    ]);
    expect(lines[1]).toMatchObject({ upstreamCalls: 0, upstreamRequestIds: [] });
    expect(lines[3]).toMatchObject({ upstreamCalls: 1, upstreamRequestIds: [stack.sim.calls.at(-1)!.requestId] });
    // Nothing else at info level per request: the ready line is logged by main.ts, not here.
    expect(logs.lines()).toHaveLength(lines.length);
  });

  it('concurrent requests each get their own accounting', async () => {
    stack.sim.setLatency(30);
    try {
      const ids = stack.sim
        .jobs()
        .slice(0, 4)
        .map((job) => job.job_id);
      const before = stack.sim.calls.length;
      await Promise.all(ids.map((id, i) => stack.raw({ query: `query Q${i} { fineTune(id: "${id}") { __typename } }` })));
      const calls = stack.sim.calls.slice(before);
      const lines = logs.requestLines();
      expect(lines).toHaveLength(4);
      for (const [i, id] of ids.entries()) {
        const line = lines.find((candidate) => candidate.operationName === `Q${i}`)!;
        expect(line.upstreamCalls).toBe(1);
        expect(line.upstreamRequestIds).toEqual([calls.find((call) => call.jobId === id)!.requestId]);
      }
    } finally {
      stack.sim.setLatency(0);
    }
  });
});

describe('a bug (an unexpected error) in a resolver', () => {
  it('is masked for the client and logged at error level with its stack, on the request line', async () => {
    // The gateway's own resolvers cannot be made to throw from outside, so the request telemetry
    // plugin runs here in a real Yoga over a schema whose resolver does.
    const logs = createLogCapture();
    const metrics = createMetrics({ processMetrics: false });
    const telemetry = createRequestTelemetry({ logger: createLogger({ logLevel: 'info' }, logs), metrics, graphqlEndpoint: '/graphql' });
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { fine: String, boom: String }',
        resolvers: {
          Query: {
            fine: () => 'ok',
            boom: () => {
              throw new TypeError('kaboom: cannot read x of undefined');
            },
          },
        },
      }),
      maskedErrors: { isDev: false },
      logging: false,
      plugins: [telemetry.plugin],
    });
    const response = await yoga.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query Buggy { fine boom }' }),
    });
    const body = (await response.json()) as { data: unknown; errors: { message: string }[] };
    expect(body.data).toEqual({ fine: 'ok', boom: null });
    expect(body.errors.map((error) => error.message)).toEqual(['Unexpected error.']);
    expect(JSON.stringify(body)).not.toContain('kaboom');

    const lines = logs.requestLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      operationName: 'Buggy',
      errorTypes: ['INTERNAL_SERVER_ERROR'],
      unexpectedErrors: [{ path: 'boom', type: 'TypeError', message: 'kaboom: cannot read x of undefined' }],
    });
    expect((lines[0]!.unexpectedErrors as { stack: string }[])[0]!.stack).toContain('logging.test.ts');
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'gateway_graphql_errors_total', { kind: 'graphql', type: 'INTERNAL_SERVER_ERROR' })).toBe(1);
  });
});

describe('the key never reaches a log line', () => {
  // Both ways in (the Node front, and whatwg-node's adapter) log through the same pipeline; both are checked.
  it.each([
    { front: 'on', minLines: 11 },
    { front: 'off', minLines: 11 },
  ])(
    'neither the server key nor a forwarded caller key appears, even at LOG_LEVEL=trace (Node front $front)',
    async ({ front, minLines }) => {
      const callerKey = 'sk-caller-0123456789abcdef-secret';
      const logs = createLogCapture();
      const env = { LOG_LEVEL: 'trace', GRAPHQL_NODE_FRONT: front };
      const server = await startStack({ env, logs: logs });
      const forwarding = await startStack({
        env: { ...env, DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_API_KEY: undefined },
        logs: logs,
      });
      try {
        await server.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
        await server.query(JobByIdDocument, { id: 'ft-000000000000-none' }, { authorization: `Bearer ${callerKey}` });
        const denied = await forwarding.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' }, { authorization: `Bearer ${callerKey}` });
        expect(denied.data?.fineTune.__typename).toBe('AuthenticationError');
        const allowed = await forwarding.query(
          JobByIdDocument,
          { id: 'ft-202410291653-1c7f' },
          { authorization: `Bearer ${DEMO_API_KEY}` },
        );
        expect(allowed.data?.fineTune.__typename).toBe('FineTuneJob');
        expect(forwarding.sim.calls.map((call) => call.apiKey)).toEqual([callerKey, DEMO_API_KEY]);

        const text = logs.text();
        // trace level logs plenty (upstream calls, Yoga's own debug lines on its path), so the
        // absence below means something.
        expect(logs.lines().length).toBeGreaterThanOrEqual(minLines);
        expect(logs.requestLines()).toHaveLength(4);
        expect(text).not.toContain(callerKey);
        expect(text).not.toContain(DEMO_API_KEY);
      } finally {
        await Promise.all([server.close(), forwarding.close()]);
      }
    },
  );

  it('redacts credentials wherever a logged object carries them', () => {
    const logs = createLogCapture();
    const logger = createLogger({ logLevel: 'info' }, logs);
    const key = 'sk-never-print-me';
    logger.info({ authorization: `Bearer ${key}`, headers: { authorization: `Bearer ${key}`, cookie: key } }, 'a');
    logger.info({ apiKey: key, credential: { apiKey: key, workspace: null }, config: { apiKey: key, port: 1 } }, 'b');
    logger.info({ req: { headers: { authorization: `Bearer ${key}` } }, upstream: { headers: { authorization: key } } }, 'c');
    expect(logs.lines()).toHaveLength(3);
    expect(logs.text()).not.toContain(key);
    expect(logs.lines()[1]).toMatchObject({ apiKey: '[redacted]', config: { apiKey: '[redacted]', port: 1 } });
  });
});

describe('LOG_LEVEL and development output', () => {
  it('LOG_LEVEL=warn drops the per-request info lines', async () => {
    const logs = createLogCapture();
    const stack = await startStack({ env: { LOG_LEVEL: 'warn' }, logs: logs });
    try {
      await stack.query(JobByIdDocument, { id: 'ft-202410291653-1c7f' });
      expect(logs.requestLines()).toHaveLength(0);
      createLogger(stack.config, logs).warn('still there');
      expect(logs.lines().map((line) => line.msg)).toEqual(['still there']);
    } finally {
      await stack.close();
    }
  });

  it('rejects an unknown LOG_LEVEL at start-up and accepts any case', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig({}).logLevel).toBe('info');
  });

  it('prints human-readable lines through pino-pretty with NODE_ENV=development, JSON otherwise', () => {
    const run = (environment: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'test/support/log-once.ts', environment], {
        encoding: 'utf8',
        timeout: 15_000,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      });
    const pretty = run('development');
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toMatch(/INFO.*hello operator/);
    expect(pretty.stdout).toContain('jobs: 3');
    expect(() => JSON.parse(pretty.stdout.trim())).toThrow();

    const json = run('production');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ level: 30, msg: 'hello operator', jobs: 3 });
  });
});
