import { getIntrospectionQuery } from 'graphql';
import { ReadableStream } from 'node:stream/web';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

/** Hostile or broken requests are refused before execution: no upstream call, a clear error, 4xx. */

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

describe('operation limits (graphql-armor + upstream-field cost)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  const refused = async (query: string, message: RegExp) => {
    const before = stack.sim.calls.length;
    const { status, body } = await stack.raw({ query });
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(message);
    expect(stack.sim.calls.length).toBe(before);
    // And the gateway still serves.
    const ok = await stack.raw({ query: '{ fineTunes(page: { size: 1 }) { __typename } }' });
    expect(ok.body.data).toEqual({ fineTunes: { __typename: 'JobConnection' } });
  };

  it('a 500-alias fineTune bomb is refused with no upstream call', async () => {
    const bomb = `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: fineTune(id: "ft-${i}") { __typename }`).join(' ')} }`;
    await refused(bomb, /limit of \d+ exceeded/);
  });

  it('an alias bomb small enough to pass the token limit is refused by the alias limit', async () => {
    const aliases = Array.from({ length: 150 }, (_, i) => `a${i}: totalCount`).join(' ');
    await refused(`{ fineTunes { ... on JobConnection { ${aliases} } } }`, /Aliases limit of 100 exceeded, found 150/);
  });

  it('51 upstream-hitting fields are refused by the upstream cost limit, also when hidden in fragments', async () => {
    const fields = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `j${from + i}: fineTune(id: "ft-${from + i}") { __typename }`).join(' ');
    await refused(`{ ${fields(0, 51)} }`, /51 upstream-backed fields .* at most 50/);
    await refused(
      `query { ...A ... on Query { ${fields(30, 51)} } } fragment A on Query { ${fields(0, 30)} }`,
      /51 upstream-backed fields/,
    );
  });

  it('logs and checkpoints count one upstream call per job they are asked of', async () => {
    // 1 list call + 100 jobs x (one log page + the checkpoint list) = 201.
    await refused(
      '{ fineTunes(page: { size: 100 }) { ... on JobConnection { nodes { id logs { totalCount } checkpoints { id } } } } }',
      /201 upstream-backed fields .* at most 50/,
    );
    // A variable page size counts as the largest page; two aliases of logs count twice.
    await refused(
      'query ($page: PageInput) { fineTunes(page: $page) { ... on JobConnection { nodes { logs { totalCount } } } } }',
      /101 upstream-backed fields/,
    );
    const aliases = Array.from({ length: 50 }, (_, i) => `l${i}: logs(first: 1) { totalCount }`).join(' ');
    await refused(`{ fineTune(id: "ft-1") { ... on FineTuneJob { ${aliases} } } }`, /51 upstream-backed fields/);
  });

  it('logs and checkpoints count per job under fineTuneJobs (its first or last), node and the mutations', async () => {
    const job = 'logs { totalCount } checkpoints { id }';
    // 1 + 30 jobs x 2.
    await refused(`{ fineTuneJobs(first: 30) { edges { node { ${job} } } } }`, /61 upstream-backed fields/);
    await refused(`{ fineTuneJobs(last: 25) { edges { node { ${job} } } } }`, /51 upstream-backed fields/);
    // No size: the default 10 jobs; a variable size: the most, 100.
    await refused(`query ($n: Int) { fineTuneJobs(first: $n) { edges { node { logs { totalCount } } } } }`, /101 upstream-backed fields/);
    const nodes = Array.from({ length: 17 }, (_, i) => `n${i}: node(id: "ft-${i}") { ... on FineTuneJob { ${job} } }`).join(' ');
    await refused(`{ ${nodes} }`, /51 upstream-backed fields/);
    const cancels = Array.from(
      { length: 26 },
      (_, i) => `c${i}: cancelFineTune(id: "ft-${i}") { ... on FineTuneJob { logs { totalCount } } }`,
    );
    await refused(`mutation { ${cancels.join(' ')} }`, /52 upstream-backed fields/);
  });

  it('a job page with its logs and checkpoints, or a default page of jobs with theirs, stays allowed', async () => {
    for (const query of [
      '{ fineTune(id: "ft-202410291653-1c7f") { ... on FineTuneJob { id logs(first: 5) { totalCount } checkpoints { id } } } }',
      // 1 + 20: a page of jobs (past the ones the next test loads, which must not be cached) with their checkpoints.
      '{ fineTunes(page: { size: 20, number: 3 }) { ... on JobConnection { nodes { id checkpoints { id } } } } }',
    ]) {
      const { status, body } = await stack.raw({ query });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    }
  });

  it('mutations count towards the upstream-field limit: 51 aliased actions are refused before any of them runs', async () => {
    const cancels = (n: number) => Array.from({ length: n }, (_, i) => `c${i}: cancelFineTune(id: "ft-${i}") { __typename }`).join(' ');
    await refused(`mutation { ${cancels(51)} }`, /51 upstream-backed fields .* at most 50/);
    const mixed = `mutation { ${cancels(30)} ${Array.from({ length: 21 }, (_, i) => `d${i}: deleteFineTune(id: "ft-${i}") { __typename }`).join(' ')} }`;
    await refused(mixed, /51 upstream-backed fields/);
  });

  it("mutations count towards graphql-armor's alias and cost limits too", async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `a${i}: id`).join(' ');
    await refused(`mutation { deleteFineTune(id: "x") { ... on DeletedFineTuneJob { ${ids} } } }`, /Aliases limit of 100 exceeded/);
    // Cost: with GRAPHQL_MAX_COST=100, five creates with full job selections are too much.
    const small = await startStack({ env: { GRAPHQL_MAX_COST: '100' } });
    try {
      const job = 'id jobName status rawStatus model baseModel createTime endTime createdAt endedAt durationSeconds isTerminal';
      const creates = Array.from(
        { length: 5 },
        (_, i) => `c${i}: createFineTune(input: { model: "qwen3-14b", trainingFileIds: ["f"] }) { ... on FineTuneJob { ${job} } }`,
      ).join(' ');
      const { status, body } = await small.raw({ query: `mutation { ${creates} }` });
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/Query Cost limit of 100 exceeded/);
      expect(small.sim.calls).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it('a structural cost bomb (40 full pages of jobs) is refused by the cost limit', async () => {
    const job =
      'id jobName status rawStatus model baseModel createTime endTime createdAt endedAt durationSeconds isTerminal hyperParameters { nEpochs raw }';
    const page = (i: number) =>
      `p${i}: fineTunes(page: { number: ${i + 1} }) { ... on JobConnection { nodes { ${job} } edges { node { ${job} } } } }`;
    await refused(`{ ${Array.from({ length: 40 }, (_, i) => page(i)).join(' ')} }`, /Query Cost limit of 5000 exceeded/);
  });

  it('a depth bomb is refused', async () => {
    const deep =
      '{ __type(name: "Query") { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } }';
    await refused(deep, /depth limit of 10 exceeded, found 11/i);
  });

  it('a token bomb is refused while parsing', async () => {
    await refused(`{ ${'__typename '.repeat(6_000)}}`, /Token limit of 5000 exceeded/);
  });

  it('a directive bomb is refused', async () => {
    await refused(`{ __typename ${'@include(if: true) '.repeat(25)}}`, /Directives limit of 20 exceeded/);
  });

  it('an oversized body is refused with 413 before it is parsed, also when sent chunked', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
    const sized = await fetch(`${stack.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(sized.status).toBe(413);

    // Sent on a connection of its own: the server answers 413 without reading the rest and drops it.
    const agent = new Agent();
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 64 * 1024) controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
        controller.close();
      },
    });
    const chunked = await undiciFetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      dispatcher: agent,
    });
    expect(chunked.status).toBe(413);
    await agent.close();
    expect(stack.sim.calls).toHaveLength(0);
  });

  it('a chunked body within the limit is read and answered like any other', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ query: '{ fineTunes(page: { size: 2 }) { __typename } }' }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, 10));
        controller.enqueue(body.subarray(10));
        controller.close();
      },
    });
    const response = await undiciFetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { fineTunes: { __typename: 'JobConnection' } } });
  });

  it('ordinary operations stay allowed: 50 aliases with 21 upstream-hitting fields, full job selections', async () => {
    const ids = stack.sim
      .jobs()
      .slice(10, 30)
      .map((job) => job.job_id);
    expect(ids).toHaveLength(20);
    const jobs = ids
      .map(
        (id, i) => `job${i}: fineTune(id: "${id}") {
          __typename
          ... on FineTuneJob { id jobName status rawStatus model baseModel createdAt endedAt durationSeconds isTerminal
            trainingFileIds hyperParameters { nEpochs batchSize learningRate raw } }
          ... on Error { message code requestId }
        }`,
      )
      .join('\n');
    const countAliases = Array.from({ length: 29 }, (_, i) => `c${i}: totalCount`).join(' ');
    const query = `query Dashboard {
      recent: fineTunes(page: { size: 5 }) {
        ... on JobConnection { ${countAliases} edges { cursor node { id status hyperParameters { raw } } } pageInfo { hasNextPage } }
        ... on Error { message code }
      }
      ${jobs}
    }`;
    const { status, body } = await stack.raw({ query });
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    for (let i = 0; i < 20; i += 1) expect(body.data[`job${i}`]).toMatchObject({ __typename: 'FineTuneJob', id: ids[i] });
    expect(stack.sim.count('getJob')).toBe(20);
    expect(stack.sim.count('listJobs')).toBe(1);
  });

  // After the test above: the list call behind fineTuneJobs keeps the jobs it read, which that test must fetch itself.
  it("a default fineTuneJobs page with each job's logs and checkpoints (1 + 10 x 2) stays allowed", async () => {
    const { status, body } = await stack.raw({
      query: '{ fineTuneJobs { edges { node { id logs { totalCount } checkpoints { id } } } } }',
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.fineTuneJobs.edges).toHaveLength(10);
  });

  it("GraphiQL's full introspection query is allowed", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const { status, body } = await stack.raw({ query });
    expect(status).toBe(200);
    expect(body.data.__schema.queryType.name).toBe('Query');
  });
});

describe('HTTP protections', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  const post = (body: string, headers: Record<string, string>) => fetch(`${stack.url}/graphql`, { method: 'POST', headers, body });
  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: GRAPHQL_RESPONSE, ...headers } });

  it('syntax and validation errors answer 400 without touching the upstream, and suggest no field names', async () => {
    const syntax = await stack.raw({ query: '{ fineTunes(page: { size: 5 } { __typename } }' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.message).toMatch(/Syntax Error/);

    const unknownField = await stack.raw({ query: '{ fineTune(id: "x") { __typename } fineTunez }' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors?.[0]?.message).toMatch(/Cannot query field "fineTunez"/);
    expect(unknownField.body.errors?.[0]?.message).not.toMatch(/Did you mean/);

    const badVariable = await stack.raw({ query: 'query ($id: ID!) { fineTune(id: $id) { __typename } }', variables: { id: { no: 1 } } });
    expect(badVariable.status).toBe(400);
    expect(stack.sim.calls).toHaveLength(0);
  });

  it('mutations over GET are refused (405), CSRF header or not, with no upstream call; over POST they run', async () => {
    const cancel = 'mutation { cancelFineTune(id: "ft-202410291653-1c7f") { __typename } }';
    const overGet = await get(cancel);
    expect(overGet.status).toBe(405);
    expect(overGet.headers.get('allow')).toBe('POST');
    expect((await get(cancel, { 'x-graphql-yoga-csrf': '1' })).status).toBe(405);
    expect((await get('mutation { __typename }')).status).toBe(405);
    expect(stack.sim.calls).toHaveLength(0);
    const overPost = await stack.raw({ query: 'mutation { __typename }' });
    expect(overPost.body).toEqual({ data: { __typename: 'Mutation' } });
    // The example job is finished: the upstream refuses to cancel it, after exactly one call.
    const posted = await stack.raw({ query: cancel });
    expect(posted.body).toEqual({ data: { cancelFineTune: { __typename: 'UnsupportedOperationError' } } });
    expect(stack.sim.calls.map((call) => call.endpoint)).toEqual(['cancelJob']);
  });

  it('cross-site protection: a "simple" POST (form, text/plain) needs a preflight header; a GET needs none', async () => {
    const query = '{ fineTunes(page: { size: 1 }) { __typename } }';
    expect((await post(`query=${encodeURIComponent(query)}`, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(403);
    expect((await post(JSON.stringify({ query }), { 'content-type': 'text/plain' })).status).toBe(403);
    expect(stack.sim.calls).toHaveLength(0);

    // What real clients send keeps working: JSON POSTs, and GETs with or without a preflight header.
    const json = await post(JSON.stringify({ query }), { 'content-type': 'application/json' });
    expect(json.status).toBe(200);
    const plain = await get(query);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ data: { fineTunes: { __typename: 'JobConnection' } } });
    const withHeader = await get(query, { 'x-graphql-yoga-csrf': '1' });
    expect(withHeader.status).toBe(200);
    const apollo = await get(query, { 'apollo-require-preflight': 'true' });
    expect(apollo.status).toBe(200);
    // GraphiQL itself loads in a browser.
    const graphiql = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(await graphiql.text()).toContain('graphiql');
  });

  it('CORS is off by default: no Access-Control-Allow-Origin for a foreign page', async () => {
    const preflight = await fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await post(JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'application/json',
      origin: 'https://evil.example',
    });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/health answers 200; /ready answers 200 with the upstream state, and 503 once draining', async () => {
    const { stack: own, close } = await ownStack();
    try {
      expect((await fetch(`${own.url}/health`)).status).toBe(200);
      const ready = await fetch(`${own.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        ready: true,
        draining: false,
        upstream: { circuit: 'closed', active: 0, queued: 0, limit: 16 },
        redis: 'off',
      });
      own.gateway.drain();
      const draining = await fetch(`${own.url}/ready`);
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ ready: false, draining: true });
      // Liveness is unaffected.
      expect((await fetch(`${own.url}/health`)).status).toBe(200);
    } finally {
      await close();
    }
  });
});

describe('CORS_ORIGINS', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' } });
  });
  afterAll(() => stack.close());

  const preflight = (origin: string) =>
    fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('allows the listed origins, with credentials', async () => {
    const response = await preflight('https://app.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('does not allow any other origin', async () => {
    const response = await preflight('https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  const post = (origin: string) =>
    fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });

  it('reflects a listed origin on answers too, varying by Origin', async () => {
    for (const origin of ['https://app.example.com', 'https://admin.example.com']) {
      const response = await post(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  // A sandboxed iframe (or a file: page) on any site sends `Origin: null`: answering it
  // `Access-Control-Allow-Origin: null` with credentials would let it read answers.
  for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.example', 'http://app.example.com']) {
    it(`answers origin ${origin} with no CORS header at all, preflight and request`, async () => {
      for (const response of [await preflight(origin), await post(origin)]) {
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
    });
  }
});

describe('CORS_ORIGINS with one origin, and *', () => {
  it('one origin: another origin gets no CORS header', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS: 'https://app.example.com' } });
    try {
      const allowed = await fetch(`${stack.url}/graphql?query=%7B__typename%7D`, { headers: { origin: 'https://app.example.com' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      for (const origin of ['https://evil.example', 'null']) {
        const response = await fetch(`${stack.url}/graphql?query=%7B__typename%7D`, { headers: { origin } });
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
    } finally {
      await stack.close();
    }
  });

  it('*: any origin may read, never with credentials', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS: '*' } });
    try {
      const response = await fetch(`${stack.url}/graphql?query=%7B__typename%7D`, { headers: { origin: 'https://anywhere.example' } });
      expect(response.headers.get('access-control-allow-origin')).not.toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await stack.close();
    }
  });
});

async function ownStack(): Promise<{ stack: Stack; close: () => Promise<void> }> {
  const stack = await startStack();
  return { stack, close: () => stack.close() };
}
