import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENDOR_EXAMPLE_JOB } from '../src/simulator/job-artifacts.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * `@defer` and `@stream` (Yoga's defer-stream plugin): a job page asks for the job at once and its
 * logs and checkpoints later, answered as multipart/mixed parts, read by Apollo Client 4 and by a
 * plain multipart reader, over both ways into the pipeline.
 */

const JOB_PAGE = `
  query JobPage($id: ID!) {
    fineTune(id: $id) {
      __typename
      ... on FineTuneJob {
        id
        status
        ... @defer(label: "details") {
          logs(first: 5) { totalCount edges { node { offset text } } }
          checkpoints { id step status }
        }
      }
      ... on Error { code }
    }
  }
`;

const STREAMED_LOGS = `
  query StreamedLogs($id: ID!) {
    fineTune(id: $id) {
      ... on FineTuneJob {
        id
        logs(first: 40) { edges @stream(initialCount: 2) { node { offset text } } }
      }
    }
  }
`;

interface Part {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  incremental?: { data?: any; items?: unknown[]; path: (string | number)[]; label?: string; errors?: any[] }[];
  hasNext?: boolean;
}

/** POSTs an operation asking for multipart/mixed and returns each part with the time it arrived. */
async function multipart(stack: Stack, query: string, variables: Record<string, unknown>) {
  const started = Date.now();
  const response = await fetch(`${stack.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'multipart/mixed' },
    body: JSON.stringify({ query, variables }),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1] ?? '-';
  const parts: { part: Part; atMs: number }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let index: number;
    while ((index = buffer.indexOf(`--${boundary}`)) !== -1) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + boundary.length + 2);
      const body = block.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim();
      if (body !== '') parts.push({ part: JSON.parse(body) as Part, atMs: Date.now() - started });
    }
  }
  return { status: response.status, headers: response.headers, contentType, parts };
}

describe.each([
  ['the Node front', 'true'],
  ["whatwg-node's adapter", 'false'],
])('@defer and @stream through %s', (_way, nodeFront) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_NODE_FRONT: nodeFront, DASHSCOPE_RETRY_MAX: '0', DASHSCOPE_TIMEOUT_MS: '1500' } });
  });
  afterAll(() => stack.close());

  it('sends the job first and its logs and checkpoints in a later part, every run (never graphql-jit)', async () => {
    for (let run = 0; run < 3; run++) {
      stack.sim.inject({ endpoint: 'getJobLogs', times: 1, action: { kind: 'delay', ms: 300 } });
      const { status, headers, contentType, parts } = await multipart(stack, JOB_PAGE, { id: VENDOR_EXAMPLE_JOB });
      expect(status).toBe(200);
      expect(contentType).toMatch(/^multipart\/mixed/);
      expect(headers.get('cache-control')).toBe('private, no-store');
      expect(parts.length).toBeGreaterThanOrEqual(2);
      const [first, ...rest] = parts;
      expect(first!.part).toEqual({
        data: { fineTune: { __typename: 'FineTuneJob', id: VENDOR_EXAMPLE_JOB, status: 'SUCCEEDED' } },
        hasNext: true,
      });
      // The job did not wait for the slow log.
      expect(rest.at(-1)!.atMs - first!.atMs).toBeGreaterThanOrEqual(200);
      const incremental = rest.flatMap(({ part }) => part.incremental ?? []);
      expect(incremental).toHaveLength(1);
      expect(incremental[0]).toMatchObject({ path: ['fineTune'], label: 'details' });
      expect(incremental[0]!.data.logs.totalCount).toBe(stack.sim.logs(VENDOR_EXAMPLE_JOB).length);
      expect(incremental[0]!.data.logs.edges.map((edge: { node: { text: string } }) => edge.node.text)).toEqual(
        stack.sim.logs(VENDOR_EXAMPLE_JOB).slice(0, 5),
      );
      expect(incremental[0]!.data.checkpoints.map((checkpoint: { step: number }) => checkpoint.step)).toEqual([480, 320, 160]);
      expect(rest.at(-1)!.part.hasNext).toBe(false);
    }
  });

  it('streams log edges: two at once, then the rest as items', async () => {
    const { contentType, parts } = await multipart(stack, STREAMED_LOGS, { id: VENDOR_EXAMPLE_JOB });
    expect(contentType).toMatch(/^multipart\/mixed/);
    const initial = parts[0]!.part.data.fineTune.logs.edges as { node: { text: string } }[];
    expect(initial).toHaveLength(2);
    const items = parts.slice(1).flatMap(({ part }) => (part.incremental ?? []).flatMap((entry) => entry.items ?? [])) as typeof initial;
    expect([...initial, ...items].map((edge) => edge.node.text)).toEqual(stack.sim.logs(VENDOR_EXAMPLE_JOB).slice(0, 40));
  });

  it("a deferred field still has the operation's deadline: a log that never answers ends as a Timeout error", async () => {
    stack.sim.inject({ endpoint: 'getJobLogs', times: 1, action: { kind: 'hang' } });
    const { parts } = await multipart(stack, JOB_PAGE, { id: VENDOR_EXAMPLE_JOB });
    const incremental = parts.slice(1).flatMap(({ part }) => part.incremental ?? []);
    expect(incremental[0]!.data.logs).toBeNull();
    expect(incremental[0]!.errors![0]).toMatchObject({ path: ['fineTune', 'logs'], extensions: { code: 'Timeout' } });
    expect(parts.at(-1)!.part.hasNext).toBe(false);
  });

  it('Apollo Client 4 shows the job first, then the same job with its deferred logs and checkpoints', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: `${stack.url}/graphql` }),
      cache: new InMemoryCache({
        possibleTypes: {
          FineTuneResult: [
            'FineTuneJob',
            'NotFoundError',
            'InvalidParameterError',
            'AuthenticationError',
            'ThrottlingError',
            'UpstreamError',
          ],
          Error: ['NotFoundError', 'InvalidParameterError', 'AuthenticationError', 'ThrottlingError', 'UpstreamError'],
        },
      }),
      incrementalHandler: new Defer20220824Handler(),
    });
    stack.sim.inject({ endpoint: 'getJobLogs', times: 1, action: { kind: 'delay', ms: 300 } });
    const emitted: { dataState: string; data: any }[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = client.watchQuery({ query: gql(JOB_PAGE), variables: { id: VENDOR_EXAMPLE_JOB } }).subscribe({
        next: (result) => {
          if (result.error) reject(result.error);
          if (result.data === undefined) return;
          emitted.push({ dataState: result.dataState, data: result.data });
          if (result.dataState === 'complete') {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    client.stop();
    expect(emitted.map((result) => result.dataState)).toEqual(['streaming', 'complete']);
    expect(emitted[0]!.data.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: VENDOR_EXAMPLE_JOB, status: 'SUCCEEDED' });
    expect(emitted[0]!.data.fineTune.logs).toBeUndefined();
    const complete = emitted[1]!.data.fineTune;
    expect(complete.logs.edges.map((edge: { node: { offset: number } }) => edge.node.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(complete.checkpoints.map((checkpoint: { step: number }) => checkpoint.step)).toEqual([480, 320, 160]);
  });
});
