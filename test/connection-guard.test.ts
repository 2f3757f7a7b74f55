import { once } from 'node:events';
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, createDemoJobs } from '../src/simulator/fixtures.js';
import { sampleValue } from './support/prometheus.js';
import { type Stack, startStack } from './support/stack.js';

/** What one client's connections may cost (`http/connection-guard.ts`), over raw sockets. */

async function connectTo(stack: Stack): Promise<Socket> {
  const socket = connect(Number(new URL(stack.url).port), '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Sends one request and reads the whole answer (the gateway closes or keeps the connection). */
async function exchange(socket: Socket, request: string): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.write(request);
  const started = Date.now();
  while (!text.includes('\r\n\r\n') || !complete(text)) {
    if (Date.now() - started > 5_000) throw new Error(`no complete answer: ${JSON.stringify(text)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return text;
}

function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end);
  const body = text.slice(end + 4);
  if (/transfer-encoding: chunked/i.test(head)) return body.endsWith('0\r\n\r\n');
  const length = /content-length: (\d+)/i.exec(head);
  return length !== null && Buffer.byteLength(body) >= Number(length[1]);
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
const closedBy = async (stack: Stack, reason: string) =>
  sampleValue(await stack.scrape(), 'gateway_http_connections_closed_total', { reason });

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('open connections (HTTP_MAX_CONNECTIONS)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HTTP_MAX_CONNECTIONS: '3' } });
  });
  afterAll(() => stack.close());

  it('past the limit a connection gets 503 CONNECTION_LIMIT and is closed; a freed place is served again', async () => {
    const held = await Promise.all([connectTo(stack), connectTo(stack), connectTo(stack)]);
    const over = await connectTo(stack);
    const answer = await exchange(over, get('/health'));
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer).toMatch(/connection: close/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      errors: [{ extensions: { code: 'CONNECTION_LIMIT' } }],
    });
    await waitFor(() => over.destroyed || over.readableEnded);

    held.shift()!.destroy();
    await waitFor(() => stack.connections.open() === 2);
    const socket = await connectTo(stack);
    expect(await exchange(socket, get('/health'))).toMatch(/^HTTP\/1\.1 200/);
    socket.destroy();
    for (const socket of held) socket.destroy();
  });

  it('an over-limit connection that sends nothing is cut after a second', async () => {
    await waitFor(() => stack.connections.open() === 0);
    const held = await Promise.all([connectTo(stack), connectTo(stack), connectTo(stack)]);
    const silent = await connectTo(stack);
    const closed = once(silent, 'close');
    const started = Date.now();
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const socket of held) socket.destroy();
  });
});

describe('clients that stop reading (HTTP_WRITE_TIMEOUT_MS) and pipelining', () => {
  let stack: Stack;
  const WRITE_TIMEOUT_MS = 1_000;
  beforeAll(async () => {
    stack = await startStack({
      env: { HTTP_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS), GRAPHQL_MAX_COST: '100000' },
      // Big pages: 100 jobs of ~1 KB each per answer.
      simulator: { tenants: { [DEMO_API_KEY]: createDemoJobs({ count: 300 }) } },
    });
  });
  afterAll(() => stack.close());

  /** ~400 KB: ten aliased pages of 100 jobs. */
  const bigAnswer = () => {
    const pages = Array.from(
      { length: 10 },
      (_, i) =>
        `p${i}: fineTunes(page: { number: ${(i % 3) + 1}, size: 100 }) { ... on JobConnection { nodes { id jobName status rawStatus model baseModel trainingFileIds validationFileIds trainingType createTime endTime createdAt endedAt } } }`,
    );
    return get(`/graphql?query=${encodeURIComponent(`{ ${pages.join(' ')} }`)}`);
  };

  it('a client that sends requests and reads nothing is disconnected within the write timeout, and nothing of it stays', async () => {
    const before = await closedBy(stack, 'write_timeout');
    const socket = await connectTo(stack);
    socket.pause();
    // 12 answers of ~400 KB, pipelined (fewer than the pipelining bound), never read: more than
    // the kernel's socket buffers take, so the rest waits in the gateway.
    socket.write(Array.from({ length: 12 }, bigAnswer).join(''));
    await waitFor(() => stack.connections.open() === 1);
    const tookMs = await waitFor(async () => (await closedBy(stack, 'write_timeout')) > before);
    expect(tookMs).toBeLessThan(WRITE_TIMEOUT_MS + 5_000);
    // Gone on the gateway's side: nothing of it is held any more.
    await waitFor(() => stack.connections.open() === 0);
    socket.destroy();
  });

  it('100 requests pipelined on one connection: it is destroyed after 16 unanswered; the rest never run', async () => {
    const before = await closedBy(stack, 'pipelining');
    const calls = stack.sim.calls.length;
    const socket = await connectTo(stack);
    socket.pause();
    const query = (i: number) => `{ fineTune(id: "ft-pipelined-${i}") { __typename } }`;
    socket.write(Array.from({ length: 100 }, (_, i) => get(`/graphql?query=${encodeURIComponent(query(i))}`)).join(''));
    await waitFor(async () => (await closedBy(stack, 'pipelining')) > before);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.sim.calls.length - calls).toBeLessThanOrEqual(16);
    socket.destroy();
  });
});
