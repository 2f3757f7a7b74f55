import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, type DocumentNode, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDetailsDocument, JobListDocument } from '../examples/generated/graphql.js';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { JobByIdDocument } from './generated/graphql.js';
import generatedPossibleTypes from './generated/possible-types.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * Apollo Client 4 against the gateway over HTTP, configured as its documentation says: its
 * `PersistedQueryLink` (automatic persisted queries) unchanged, with SHA-256 from node:crypto, and
 * the `possibleTypes` map codegen writes. Every HTTP request the client makes is counted.
 */

const MANIFEST = 'examples/generated/persisted-documents.json';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MISSING_JOB = 'ft-000000000000-none';

interface Sent {
  method: string;
  body: { query?: string; extensions?: { persistedQuery?: { sha256Hash: string } } } | null;
  status: number;
}

/** An Apollo Client whose every HTTP request is recorded. */
function apollo(
  url: string,
  options: { persisted?: ConstructorParameters<typeof PersistedQueryLink>[0]; possibleTypes?: Record<string, string[]> } = {},
) {
  const sent: Sent[] = [];
  const http = new HttpLink({
    uri: `${url}/graphql`,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const method = init?.method ?? 'GET';
      sent.push({ method, body: typeof init?.body === 'string' ? JSON.parse(init.body) : null, status: response.status });
      return response;
    },
  });
  const link = options.persisted ? ApolloLink.from([new PersistedQueryLink(options.persisted), http]) : http;
  const client = new ApolloClient({
    link,
    cache: new InMemoryCache(options.possibleTypes ? { possibleTypes: options.possibleTypes } : {}),
    // Every query goes to the gateway: the round trips are what is counted.
    defaultOptions: { query: { fetchPolicy: 'network-only' } },
  });
  return { client, sent };
}

describe('Apollo Client 4: automatic persisted queries (PersistedQueryLink, unchanged)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('a repeated query costs one round trip; the first registers its text once (POST)', async () => {
    const { client, sent } = apollo(stack.url, { persisted: { sha256 } });
    const first = await client.query({ query: JobByIdDocument, variables: { id: EXAMPLE_JOB_ID } });
    expect(first.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED' });
    // Hash only -> PersistedQueryNotFound; then text + hash, which registers it.
    expect(sent.map((request) => [request.method, request.body?.query === undefined ? 'hash' : 'text+hash'])).toEqual([
      ['POST', 'hash'],
      ['POST', 'text+hash'],
    ]);

    for (const id of [EXAMPLE_JOB_ID, MISSING_JOB, EXAMPLE_JOB_ID]) {
      const before = sent.length;
      const again = await client.query({ query: JobByIdDocument, variables: { id } });
      expect(again.data?.fineTune?.__typename).toBe(id === MISSING_JOB ? 'NotFoundError' : 'FineTuneJob');
      expect(sent.slice(before).map((request) => [request.method, request.status, request.body?.query])).toEqual([
        ['POST', 200, undefined],
      ]);
    }

    // Another client (another browser tab, another user) finds it registered: one round trip at once.
    const other = apollo(stack.url, { persisted: { sha256 } });
    await other.client.query({ query: JobByIdDocument, variables: { id: EXAMPLE_JOB_ID } });
    expect(other.sent).toHaveLength(1);
  });

  it('useGETForHashedQueries: repeated queries are one GET each (cacheable by URL)', async () => {
    const query = gql`query ApqOverGet($id: ID!) { fineTune(id: $id) { __typename ... on FineTuneJob { id status } } }`;
    const { client, sent } = apollo(stack.url, { persisted: { sha256, useGETForHashedQueries: true } });
    await client.query({ query, variables: { id: EXAMPLE_JOB_ID } });
    expect(sent.map((request) => request.method)).toEqual(['GET', 'POST']);
    const before = sent.length;
    const again = await client.query({ query, variables: { id: EXAMPLE_JOB_ID } });
    expect(again.data).toEqual({ fineTune: { __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED' } });
    expect(sent.slice(before).map((request) => [request.method, request.status])).toEqual([['GET', 200]]);
  });

  it('the operation limits apply to a registered text, by text and by hash, with no upstream call', async () => {
    // One alias past the limit: a valid document the limits refuse.
    const aliases = Array.from(
      { length: stack.config.limits.maxAliases + 1 },
      (_, i) => `a${i}: fineTune(id: "${EXAMPLE_JOB_ID}") { __typename }`,
    );
    const deep = `query TooManyAliases { ${aliases.join(' ')} }`;
    const hash = sha256(deep);
    const since = stack.sim.calls.length;
    const registered = await stack.raw({ query: deep, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(registered.status).toBe(400);
    const refusal = registered.body.errors?.[0]?.message;
    expect(refusal).toMatch(/aliases|upstream/i);
    expect(registered.body.data).toBeUndefined();
    const byHash = await stack.raw({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(byHash.status).toBe(400);
    expect(byHash.body.errors?.[0]?.message).toBe(refusal);
    expect(byHash.body.data).toBeUndefined();
    expect(stack.sim.calls.length).toBe(since);
  });

  it('a hash that is not the SHA-256 of the text is refused (PersistedQueryMismatch)', async () => {
    const response = await stack.raw({
      query: '{ fineTunes(page: { size: 1 }) { __typename } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'PersistedQueryMismatch',
      extensions: { code: 'PERSISTED_QUERY_MISMATCH' },
    });
  });
});

describe('the APQ store is bounded (GRAPHQL_APQ_MAX_ENTRIES)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_APQ_MAX_ENTRIES: '2' } });
  });
  afterAll(() => stack.close());

  it('keeps the two most recently used texts; a dropped one costs its client one more round trip', async () => {
    const texts = [1, 2, 3].map((size) => `{ fineTunes(page: { size: ${size} }) { __typename } }`);
    const byHash = (text: string) => stack.raw({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
    for (const text of texts) {
      const registered = await stack.raw({ query: text, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
      expect(registered.body.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });
    }
    expect((await byHash(texts[0]!)).body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    expect((await byHash(texts[1]!)).body.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });
    expect((await byHash(texts[2]!)).body.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });

    // Apollo Client recovers by itself: two round trips, then one again.
    const { client, sent } = apollo(stack.url, { persisted: { sha256 } });
    await client.query({ query: gql(texts[0]!) });
    await client.query({ query: gql(texts[0]!) });
    expect(sent.map((request) => (request.body?.query === undefined ? 'hash' : 'text+hash'))).toEqual(['hash', 'text+hash', 'hash']);
  });
});

describe('trusted documents and APQ', () => {
  /** The client preset's recipe for Apollo Client: the manifest id it wrote into the document. */
  const generateHash = (document: DocumentNode) => (document as unknown as { __meta__: { hash: string } }).__meta__.hash;

  describe('a manifest, texts allowed', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { PERSISTED_OPERATIONS_MANIFEST: MANIFEST } });
    });
    afterAll(() => stack.close());

    it("the manifest's documents run by their generated id in one round trip from the first request", async () => {
      const { client, sent } = apollo(stack.url, { persisted: { generateHash }, possibleTypes: generatedPossibleTypes.possibleTypes });
      const result = await client.query({ query: JobDetailsDocument, variables: { id: EXAMPLE_JOB_ID } });
      expect(result.data?.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, durationSeconds: 1053 });
      expect(sent).toEqual([
        {
          method: 'POST',
          status: 200,
          body: expect.objectContaining({
            extensions: expect.objectContaining({ persistedQuery: { version: 1, sha256Hash: generateHash(JobDetailsDocument) } }),
          }),
        },
      ]);
    });

    it('any other query registers once and then runs by hash (APQ next to the manifest)', async () => {
      const { client, sent } = apollo(stack.url, { persisted: { sha256 } });
      await client.query({ query: JobByIdDocument, variables: { id: EXAMPLE_JOB_ID } });
      await client.query({ query: JobByIdDocument, variables: { id: EXAMPLE_JOB_ID } });
      expect(sent.map((request) => (request.body?.query === undefined ? 'hash' : 'text+hash'))).toEqual(['hash', 'text+hash', 'hash']);
    });
  });

  describe('PERSISTED_OPERATIONS_ONLY=true', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { PERSISTED_OPERATIONS_MANIFEST: MANIFEST, PERSISTED_OPERATIONS_ONLY: 'true' } });
    });
    afterAll(() => stack.close());

    it("the generated ids (the client preset's __meta__.hash, sha256: prefix and all) run in one round trip", async () => {
      const { client, sent } = apollo(stack.url, { persisted: { generateHash }, possibleTypes: generatedPossibleTypes.possibleTypes });
      const list = await client.query({ query: JobListDocument, variables: { page: { number: 1, size: 2 } } });
      expect(list.data?.fineTunes).toMatchObject({
        __typename: 'JobConnection',
        nodes: [{ __typename: 'FineTuneJob' }, { __typename: 'FineTuneJob' }],
      });
      const missing = await client.query({ query: JobDetailsDocument, variables: { id: MISSING_JOB } });
      expect(missing.data?.fineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) });
      expect(sent.map((request) => [request.status, request.body?.query])).toEqual([
        [200, undefined],
        [200, undefined],
      ]);
    });

    it('an unknown text stays refused: the link sends it after PersistedQueryNotFound, and it is refused, with no upstream call', async () => {
      const since = stack.sim.calls.length;
      const { client, sent } = apollo(stack.url, { persisted: { sha256 } });
      await expect(client.query({ query: JobByIdDocument, variables: { id: EXAMPLE_JOB_ID } })).rejects.toThrow(
        /only runs trusted documents/,
      );
      expect(sent.map((request) => [request.status, request.body?.query === undefined ? 'hash' : 'text+hash'])).toEqual([
        [400, 'hash'],
        [400, 'text+hash'],
      ]);
      // Nothing was registered: the hash alone is still unknown.
      const byHash = await stack.raw({
        extensions: { persistedQuery: { version: 1, sha256Hash: sent[0]!.body!.extensions!.persistedQuery!.sha256Hash } },
      });
      expect(byHash.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
      expect(stack.sim.calls.length).toBe(since);
    });
  });
});

describe('Apollo Client 4: errors are data, with the generated possibleTypes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('with possibleTypes the fields of `... on Error` arrive; without it the cache drops them', async () => {
    const withMap = apollo(stack.url, { possibleTypes: generatedPossibleTypes.possibleTypes }).client;
    const kept = await withMap.query({ query: JobByIdDocument, variables: { id: MISSING_JOB } });
    expect(kept.data?.fineTune).toEqual({
      __typename: 'NotFoundError',
      message: expect.any(String),
      code: 'NotFound',
      requestId: expect.any(String),
    });

    const withoutMap = apollo(stack.url).client;
    const dropped = await withoutMap.query({ query: JobByIdDocument, variables: { id: MISSING_JOB } });
    // The same answer on the wire; the cache cannot tell NotFoundError implements Error.
    expect(dropped.data?.fineTune).toEqual({ __typename: 'NotFoundError' });
  });

  it('a page of jobs and a bad page argument (InvalidParameterError) through the same client', async () => {
    const { client } = apollo(stack.url, { possibleTypes: generatedPossibleTypes.possibleTypes });
    const bad = await client.query({ query: JobListDocument, variables: { page: { number: 1, size: 500 } } });
    expect(bad.data?.fineTunes).toMatchObject({ __typename: 'InvalidParameterError', code: 'InvalidParameter' });
    const page = await client.query({ query: JobListDocument, variables: { page: { number: 1, size: 3 } } });
    expect(page.data?.fineTunes).toMatchObject({ __typename: 'JobConnection', nodes: expect.any(Array) });
  });
});
