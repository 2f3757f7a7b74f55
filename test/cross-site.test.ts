import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { JobByIdDocument, WatchJobStatusDocument } from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * Cross-site protection where it matters (`src/plugins/use-cross-site-protection.ts`): reads over
 * GET need no header, whatever client sends them; anything that could change state must be a POST
 * a browser would have preflighted. Why that is safe: docs/frontend.md.
 */

const QUERY = '{ fineTunes(page: { size: 1 }) { __typename } }';

describe('cross-site protection', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('a GET query without any extra header is answered (what urql and graphql-request send)', async () => {
    const since = stack.sim.calls.length;
    const response = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(QUERY)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { fineTunes: { __typename: 'JobConnection' } } });
    expect(stack.sim.calls.length - since).toBe(1);
  });

  it("urql's default client (GET for queries) works against the gateway", async () => {
    const methods: string[] = [];
    const client = new Client({
      url: `${stack.url}/graphql`,
      exchanges: [cacheExchange, fetchExchange],
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const result = await client.query(JobByIdDocument, { id: EXAMPLE_JOB_ID }).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED' });
    // urql's default (`preferGetMethod: 'within-url-limit'`): the query went as a GET.
    expect(methods).toEqual(['GET']);
  });

  it('a GET subscription with Accept: text/event-stream and no other header streams until complete', async () => {
    const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id: EXAMPLE_JOB_ID }, { method: 'GET' });
    expect(subscription.status).toBe(200);
    expect(subscription.contentType).toMatch(/^text\/event-stream/);
    const events = await subscription.rest();
    expect(events).toEqual([
      { data: { fineTuneStatus: expect.objectContaining({ id: EXAMPLE_JOB_ID, status: 'SUCCEEDED', isTerminal: true }) } },
    ]);
    expect(subscription.completed).toBe(true);
  });

  it('a POST a browser sends cross-site without a preflight (form, multipart, text/plain, no type) is refused with 403, with no upstream call', async () => {
    const since = stack.sim.calls.length;
    const json = JSON.stringify({ query: QUERY });
    const form = new FormData();
    form.set('query', QUERY);
    const cases: [string, RequestInit][] = [
      ['form', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${encodeURIComponent(QUERY)}` }],
      ['multipart', { body: form }],
      ['text/plain', { headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: json }],
      ['TEXT/PLAIN, odd spacing', { headers: { 'content-type': ' TEXT/Plain ' }, body: json }],
      ['no content type', { body: new Blob([json]) }],
      ['event stream, text/plain', { headers: { 'content-type': 'text/plain', accept: 'text/event-stream' }, body: json }],
    ];
    for (const [name, init] of cases) {
      const response = await fetch(`${stack.url}/graphql`, { method: 'POST', ...init });
      expect(response.status, name).toBe(403);
      // JSON, or one SSE event for a client that accepts only text/event-stream.
      expect(await response.text(), name).toContain('"code":"CSRF_PREVENTED"');
    }
    expect(stack.sim.calls.length - since).toBe(0);
  });

  it('a JSON POST, or a simple one with a preflight header, is answered', async () => {
    const json = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(json.status).toBe(200);
    const preflighted = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'apollo-require-preflight': 'true' },
      body: `query=${encodeURIComponent(QUERY)}`,
    });
    // Past the protection; Yoga itself parses no form bodies.
    expect(preflighted.status).not.toBe(403);
  });

  it('a mutation over GET is refused with 405 before execution, with no upstream call', async () => {
    const since = stack.sim.calls.length;
    const mutation = `mutation { cancelFineTune(id: "${EXAMPLE_JOB_ID}") { __typename } }`;
    const variants: Record<string, string>[] = [{}, { 'x-graphql-yoga-csrf': '1' }, { accept: 'text/event-stream' }];
    for (const headers of variants) {
      const response = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
    expect(stack.sim.calls.length - since).toBe(0);
  });

  it('a mutation a page on another site could send without a preflight (form, multipart, text/plain) is refused with 403, no upstream call', async () => {
    const since = stack.sim.calls.length;
    const mutation = 'mutation { createFineTune(input: { model: "qwen3-14b", trainingFileIds: ["f"] }) { __typename } }';
    const form = new FormData();
    form.set('query', mutation);
    const cases: [string, RequestInit][] = [
      ['form', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${encodeURIComponent(mutation)}` }],
      ['multipart', { body: form }],
      ['text/plain', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: mutation }) }],
    ];
    for (const [name, init] of cases) {
      const response = await fetch(`${stack.url}/graphql`, { method: 'POST', ...init });
      expect(response.status, name).toBe(403);
      expect(await response.text(), name).toContain('"code":"CSRF_PREVENTED"');
    }
    expect(stack.sim.calls.length - since).toBe(0);
    expect(stack.sim.count('createJob')).toBe(0);
  });
});
