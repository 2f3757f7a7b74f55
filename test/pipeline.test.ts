import { request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient as createSSEClient } from 'graphql-sse';
import type { Plugin } from 'graphql-yoga';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDetailsDocument } from '../examples/generated/graphql.js';
import { JobByIdDocument, WatchJobStatusDocument } from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * One pipeline: a plugin added once to the gateway's list sees every kind of request, whichever
 * way in served it (`gateway.frontCounts` tells which did). The probe records the hooks of each
 * request: the HTTP-level ones (onRequest, onParams, onResponse) and Envelop's (onContextBuilding,
 * onExecute or onSubscribe).
 */

const MANIFEST = 'examples/generated/persisted-documents.json';
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
const JOB_ID = 'ft-202410291653-1c7f';

interface Seen {
  method: string;
  hooks: string[];
}

function createProbe(): { plugin: Plugin<any, any, any>; seen: Seen[] } {
  const seen: Seen[] = [];
  const byRequest = new WeakMap<object, Seen>();
  const of = (request: object): Seen | undefined => byRequest.get(request);
  const plugin: Plugin<any, any, any> = {
    onRequest({ request, url }) {
      if (url.pathname !== '/graphql' && url.pathname !== '/graphql/stream') return;
      const entry = { method: url.pathname === '/graphql' ? request.method : `${request.method} stream`, hooks: ['onRequest'] };
      byRequest.set(request, entry);
      seen.push(entry);
    },
    onParams({ request }) {
      of(request)?.hooks.push('onParams');
    },
    onContextBuilding({ context }) {
      of(context.request)?.hooks.push('onContextBuilding');
    },
    onExecute({ args }) {
      of(args.contextValue.request)?.hooks.push('onExecute');
    },
    onSubscribe({ args }) {
      of(args.contextValue.request)?.hooks.push('onSubscribe');
    },
    onResponse({ request }) {
      of(request)?.hooks.push('onResponse');
    },
  };
  return { plugin, seen };
}

const EXECUTED = ['onRequest', 'onParams', 'onContextBuilding', 'onExecute', 'onResponse'];

describe('a probe plugin sees every kind of request', () => {
  let stack: Stack;
  const probe = createProbe();
  beforeAll(async () => {
    stack = await startStack({ env: { PERSISTED_OPERATIONS_MANIFEST: MANIFEST }, plugins: [probe.plugin] });
  });
  afterAll(() => stack.close());

  /** Runs `send`, then returns what the probe saw of it and which way in served it. */
  async function observe(send: () => Promise<void>): Promise<{ seen: Seen[]; direct: number; adapter: number }> {
    const from = probe.seen.length;
    const before = { ...stack.gateway.frontCounts };
    await send();
    return {
      seen: probe.seen.slice(from),
      direct: stack.gateway.frontCounts.direct - before.direct,
      adapter: stack.gateway.frontCounts.adapter - before.adapter,
    };
  }

  it('a first and a repeated query (POST JSON): the front', async () => {
    for (let i = 0; i < 2; i += 1) {
      const result = await observe(async () => {
        const body = await stack.query(JobByIdDocument, { id: JOB_ID });
        expect(body.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: JOB_ID });
      });
      expect(result).toEqual({ seen: [{ method: 'POST', hooks: EXECUTED }], direct: 1, adapter: 0 });
    }
  });

  it('a GET query: the front', async () => {
    const result = await observe(async () => {
      const query = encodeURIComponent(print(JobByIdDocument));
      const variables = encodeURIComponent(JSON.stringify({ id: JOB_ID }));
      const response = await fetch(`${stack.url}/graphql?query=${query}&variables=${variables}`);
      expect(response.status).toBe(200);
    });
    expect(result).toEqual({ seen: [{ method: 'GET', hooks: EXECUTED }], direct: 1, adapter: 0 });
  });

  it('a persisted document by id: the front', async () => {
    const id = (JobDetailsDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
    expect(manifest[id]).toBeDefined();
    const result = await observe(async () => {
      const { status, body } = await stack.raw({ documentId: id, variables: { id: JOB_ID } });
      expect(status).toBe(200);
      expect(body.data?.fineTune).toMatchObject({ id: JOB_ID });
    });
    expect(result).toEqual({ seen: [{ method: 'POST', hooks: EXECUTED }], direct: 1, adapter: 0 });
  });

  it('_entities, as a federation router sends it: the front', async () => {
    const result = await observe(async () => {
      const { status, body } = await stack.raw({
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on FineTuneJob { id status } } }',
        variables: { r: [{ __typename: 'FineTuneJob', id: JOB_ID }] },
      });
      expect(status).toBe(200);
      expect(body.data?._entities).toEqual([{ id: JOB_ID, status: 'SUCCEEDED' }]);
    });
    expect(result).toEqual({ seen: [{ method: 'POST', hooks: EXECUTED }], direct: 1, adapter: 0 });
  });

  it('a query by APQ hash, registered and then by hash alone: the front, the text resolved before Envelop', async () => {
    const query = '{ fineTunes(page: { size: 2 }) { __typename } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    for (const body of [{ query, extensions }, { extensions }]) {
      const result = await observe(async () => {
        const { status, body: answer } = await stack.raw(body);
        expect(status).toBe(200);
        expect(answer.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });
      });
      expect(result).toEqual({ seen: [{ method: 'POST', hooks: EXECUTED }], direct: 1, adapter: 0 });
    }
  });

  it("graphql-sse's single-connection mode at /graphql/stream: every request, the operation through Envelop", async () => {
    const result = await observe(async () => {
      const client = createSSEClient({ url: `${stack.url}/graphql/stream`, singleConnection: true, retryAttempts: 0 });
      const results = [];
      for await (const next of client.iterate({ query: print(WatchJobStatusDocument), variables: { id: JOB_ID } })) results.push(next);
      expect(results).toHaveLength(1);
      client.dispose();
      // The event stream's own request ends once the client has hung up.
      for (let i = 0; i < 100 && probe.seen.at(-1)?.hooks.at(-1) !== 'onResponse'; i += 1) await new Promise((r) => setTimeout(r, 10));
    });
    const byMethod = Object.fromEntries(result.seen.map((entry) => [entry.method, entry.hooks]));
    expect(byMethod).toEqual({
      'PUT stream': ['onRequest', 'onResponse'],
      'GET stream': ['onRequest', 'onResponse'],
      'POST stream': ['onRequest', 'onContextBuilding', 'onSubscribe', 'onResponse'],
    });
    expect(result.adapter).toBe(3);
  });

  it('a subscription over SSE (POST and GET): the front', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const result = await observe(async () => {
        const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: JOB_ID }, { method });
        expect(subscription.status).toBe(200);
        const first = await subscription.next(5_000);
        expect(first?.data?.fineTuneStatus).toMatchObject({ id: JOB_ID });
        // A finished job: the stream completes after its one event.
        expect(await subscription.next(5_000)).toBeNull();
      });
      expect(result).toEqual({
        seen: [{ method, hooks: ['onRequest', 'onParams', 'onContextBuilding', 'onSubscribe', 'onResponse'] }],
        direct: 1,
        adapter: 0,
      });
    }
  });

  it('a chunked body: the adapter, with the same hooks', async () => {
    const result = await observe(async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          `${stack.url}/graphql`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        const body = JSON.stringify({ query: print(JobByIdDocument), variables: { id: JOB_ID } });
        request.write(body.slice(0, 20));
        request.end(body.slice(20));
      });
      expect(status).toBe(200);
    });
    expect(result).toEqual({ seen: [{ method: 'POST', hooks: EXECUTED }], direct: 0, adapter: 1 });
  });

  it('a refusal before parsing (cross-site protection, a text/plain POST): onRequest and onResponse', async () => {
    const result = await observe(async () => {
      const response = await fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(403);
    });
    expect(result).toEqual({ seen: [{ method: 'POST', hooks: ['onRequest', 'onResponse'] }], direct: 0, adapter: 1 });
  });

  it('a refusal before execution on the front (a mutation over GET): onRequest, onParams and onResponse', async () => {
    const result = await observe(async () => {
      const response = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('mutation { __typename }')}`);
      expect(response.status).toBe(405);
    });
    expect(result).toEqual({ seen: [{ method: 'GET', hooks: ['onRequest', 'onParams', 'onResponse'] }], direct: 1, adapter: 0 });
  });
});
