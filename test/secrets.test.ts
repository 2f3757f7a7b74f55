import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, createDemoJobs } from '../src/simulator/fixtures.js';
import type { FaultAction } from '../src/simulator/server.js';
import { captureLogs } from './support/logs.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/** The server key never leaves the gateway except towards the upstream; bugs are masked, with an id. */

const SERVER_KEY = 'sk-LEAKCHECK-4f1d9a7c2b';
const ID = 'ft-202410291653-1c7f';

describe('the server key never appears in a response body, a response header or a log line', () => {
  let stack: Stack;
  const logs = captureLogs();
  const seen: string[] = [];
  beforeAll(async () => {
    stack = await startStack({
      env: {
        DASHSCOPE_API_KEY: SERVER_KEY,
        ...NO_CACHE,
        LOG_LEVEL: 'debug',
        DASHSCOPE_TIMEOUT_MS: '1000',
        DASHSCOPE_RETRY_BASE_DELAY_MS: '5',
        DASHSCOPE_RETRY_MAX_DELAY_MS: '10',
        DASHSCOPE_BREAKER_THRESHOLD: '1000',
      },
      simulator: { tenants: { [SERVER_KEY]: createDemoJobs() } },
      logs: logs.stream,
    });
  });
  afterAll(() => stack.close());

  /** Sends a request and keeps everything the client could see of the answer. */
  const exchange = async (init: RequestInit & { path?: string }) => {
    const response = await fetch(`${stack.url}${init.path ?? '/graphql'}`, init);
    seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
  };
  const post = (query: string, headers: Record<string, string> = {}) =>
    exchange({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

  it('across successes, every fault, bad input, bombs and probes', async () => {
    await post(`{ fineTunes(page: { size: 3 }) { ... on JobConnection { nodes { id creator } } } }`);
    await post(`{ fineTune(id: "${ID}") { __typename ... on Error { message code requestId } } }`);
    await post(`{ fineTune(id: "ft-missing") { __typename ... on Error { message code requestId } } }`);
    const faults: FaultAction[] = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 401, code: 'InvalidApiKey' },
      { kind: 'status', status: 429, retryAfter: '9' },
      { kind: 'html', status: 502 },
      { kind: 'truncated' },
      { kind: 'reset' },
      { kind: 'reset-mid-body' },
      { kind: 'hang' },
      // An upstream that echoes the key back in its error message (a proxy might).
      { kind: 'body', status: 400, body: JSON.stringify({ code: 'InvalidParameter', message: `bad key ${SERVER_KEY}` }) },
      { kind: 'body', status: 500, body: `upstream trace: Authorization: Bearer ${SERVER_KEY}` },
    ];
    for (const action of faults) {
      stack.sim.clearFaults();
      stack.sim.inject({ action });
      await post(`{ fineTune(id: "${ID}") { __typename ... on Error { message code requestId } ... on ThrottlingError { retryAfter } } }`);
    }
    stack.sim.clearFaults();
    await post('{ fineTune(id: "a/../b") { __typename ... on Error { message } } }');
    await post('{ fineTunez }');
    await post('{ fineTunes( ');
    await post(`{ ${Array.from({ length: 150 }, (_, i) => `a${i}: fineTune(id: "x${i}") { __typename }`).join(' ')} }`);
    await post('{ __typename }', { authorization: `Bearer ${SERVER_KEY}x` });
    await exchange({ method: 'GET', path: '/graphql', headers: { accept: 'text/html' } });
    await exchange({ method: 'GET', path: '/health' });
    await exchange({ method: 'GET', path: '/ready' });

    // The key was really in play: the upstream received it on every call.
    expect(stack.sim.calls.length).toBeGreaterThan(10);
    expect(stack.sim.calls.every((call) => call.apiKey === SERVER_KEY)).toBe(true);

    expect(seen.length).toBe(faults.length + 11);
    for (const answer of seen) expect(answer).not.toContain(SERVER_KEY);
    // The echo fault did reach the client as an error, just without the key in it.
    expect(seen.some((answer) => answer.includes('InvalidParameterError'))).toBe(true);

    const lines = logs.lines();
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).not.toContain(SERVER_KEY);
  });
});

describe('error masking', () => {
  const SECRET_DETAIL = '/srv/gateway/internal/secret-path.ts:42';
  /** A bug no upstream reply can cause: the transport throws an unexpected TypeError for one id. */
  const buggyTransport = (id: string) => (transport: import('../src/upstream/transport.js').Transport) => ({
    ...transport,
    send: async (request: Parameters<typeof transport.send>[0]) => {
      if (request.path.endsWith(`/${id}`))
        throw new TypeError(`Cannot read properties of undefined (reading 'job_id') at ${SECRET_DETAIL}`);
      return transport.send(request);
    },
  });

  let stack: Stack;
  const logs = captureLogs();
  beforeAll(async () => {
    stack = await startStack({ env: { LOG_LEVEL: 'error' }, logs: logs.stream, wrapTransport: buggyTransport('ft-bug') });
  });
  afterAll(() => stack.close());

  it('an unexpected error reaches the client as "Unexpected error." with an id; the log has the id and the cause', async () => {
    const { status, body } = await stack.raw({ query: '{ fineTune(id: "ft-bug") { __typename } }' });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    const error = body.errors![0]!;
    expect(error.message).toBe('Unexpected error.');
    expect(error.path).toEqual(['fineTune']);
    const errorId = error.extensions?.errorId as string;
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    const text = JSON.stringify(body);
    expect(text).not.toContain('secret-path');
    expect(text).not.toContain('TypeError');
    expect(text).not.toMatch(/stack|at \//);

    // One error line for the failure (the request's own line), with the id, the real cause and
    // where it happened.
    const errorLines = logs.entries().filter((entry) => entry.level === 50);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({ msg: 'graphql request', unexpectedErrors: [{ errorId, path: 'fineTune', type: 'TypeError' }] });
    expect(JSON.stringify(errorLines[0])).toContain(SECRET_DETAIL);
    expect(JSON.stringify(errorLines[0])).toContain('TypeError');

    // Other requests are unaffected.
    const ok = await stack.raw({ query: `{ fineTune(id: "${ID}") { __typename } }` });
    expect(ok.body.data).toEqual({ fineTune: { __typename: 'FineTuneJob' } });
  });

  it('each masked error gets its own id', async () => {
    const first = await stack.raw({ query: '{ fineTune(id: "ft-bug") { __typename } }' });
    const second = await stack.raw({ query: '{ fineTune(id: "ft-bug") { __typename } }' });
    expect(first.body.errors![0]!.extensions?.errorId).not.toBe(second.body.errors![0]!.extensions?.errorId);
  });

  it('NODE_ENV=development shows the cause, for the developer', async () => {
    const dev = await startStack({ env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' }, wrapTransport: buggyTransport('ft-bug') });
    try {
      const { body } = await dev.raw({ query: '{ fineTune(id: "ft-bug") { __typename } }' });
      expect(body.errors![0]!.extensions?.errorId).toBeTypeOf('string');
      expect(JSON.stringify(body.errors![0]!.extensions?.originalError)).toContain(SECRET_DETAIL);
    } finally {
      await dev.close();
    }
  });

  it('the demo key of the simulator stays out of answers too', async () => {
    const { body } = await stack.raw({ query: `{ fineTune(id: "${ID}") { __typename ... on FineTuneJob { id creator } } }` });
    expect(JSON.stringify(body)).not.toContain(DEMO_API_KEY);
  });
});
