import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { type Stack, startStack } from './support/stack.js';

/** What a federation router sends to resolve `FineTuneJob` references. */
const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on FineTuneJob { id status model createdAt }
    }
  }
`;

const UNKNOWN_ID = 'ft-000000000000-gone';

describe('FineTuneJob as a federation entity (`_entities`, `_service`)', () => {
  let stack: Stack;
  let ids: string[];
  /** A job no earlier test fetched, for exact call counts. */
  let fresh: string;
  beforeAll(async () => {
    stack = await startStack();
    ids = stack.sim
      .jobs()
      .slice(20, 26)
      .map((job) => job.job_id);
    fresh = stack.sim.jobs()[26]!.job_id;
  });
  afterAll(() => stack.close());

  it('30 representations over 6 distinct ids (+1 unknown) cost exactly 7 GETs, in order, null for the unknown id', async () => {
    const cycle = [...ids, UNKNOWN_ID];
    const representations = Array.from({ length: 30 }, (_, i) => ({ __typename: 'FineTuneJob', id: cycle[i % cycle.length] }));
    const before = stack.sim.calls.length;

    const { status, body } = await stack.raw({ query: ENTITIES, variables: { representations } });

    const calls = stack.sim.calls.slice(before);
    expect(calls).toHaveLength(7);
    expect(calls.every((call) => call.endpoint === 'getJob')).toBe(true);
    expect(new Set(calls.map((call) => call.jobId))).toEqual(new Set(cycle));

    expect(status).toBe(200);
    const entities = body.data._entities as ({ id: string; status: string; model: string; createdAt: string } | null)[];
    expect(entities).toHaveLength(30);
    const unknownAt: number[] = [];
    representations.forEach((representation, i) => {
      if (representation.id === UNKNOWN_ID) {
        unknownAt.push(i);
        expect(entities[i]).toBeNull();
        return;
      }
      const wire = stack.sim.jobs().find((job) => job.job_id === representation.id)!;
      expect(entities[i]).toEqual({
        __typename: 'FineTuneJob',
        id: representation.id,
        status: expect.any(String),
        model: wire.model,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      });
    });

    // One error per failed representation, at `_entities.N`, as routers expect; nothing else failed.
    const notFound = calls.find((call) => call.jobId === UNKNOWN_ID)!;
    expect(unknownAt).toEqual([6, 13, 20, 27]);
    expect(body.errors?.map((error) => error.path)).toEqual(unknownAt.map((i) => ['_entities', i]));
    for (const error of body.errors ?? []) {
      expect(error.extensions).toEqual({ code: 'NotFound', requestId: notFound.requestId });
      expect(error.message).not.toBe('Unexpected error.');
    }
  });

  it('keeps the list length when the last representations are unknown (null entries at the end)', async () => {
    // Duplicates first (answered from the loader), then the unknown ids last: the shape a router
    // sends for a list of references where the newest ones point at deleted jobs.
    const order = [ids[3], ids[4], ids[3], ids[3], ids[4], UNKNOWN_ID, ids[4], `${UNKNOWN_ID}-2`];
    const representations = order.map((id) => ({ __typename: 'FineTuneJob', id }));
    const { body } = await stack.raw({ query: ENTITIES, variables: { representations } });
    expect(body.data._entities).toHaveLength(order.length);
    order.forEach((id, i) => {
      if (id?.startsWith(UNKNOWN_ID)) expect(body.data._entities[i]).toBeNull();
      else expect(body.data._entities[i]).toMatchObject({ id });
    });
    expect(body.errors?.map((error) => error.path)).toEqual([
      ['_entities', 5],
      ['_entities', 7],
    ]);
  });

  it('refuses an _entities call over more distinct ids than GRAPHQL_MAX_ENTITY_IDS, with no upstream call', async () => {
    const limited = await startStack({ env: { GRAPHQL_MAX_ENTITY_IDS: '5' } });
    try {
      const many = Array.from({ length: 6 }, (_, i) => ({ __typename: 'FineTuneJob', id: `ft-many-${i}` }));
      const refused = await limited.raw({ query: ENTITIES, variables: { representations: many } });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'ENTITIES_LIMIT', limit: 5, found: 6 });
      expect(limited.sim.calls).toHaveLength(0);
      // Duplicates are free: 12 representations over 5 ids are allowed (5 GETs).
      const repeated = [...many.slice(0, 5), ...many.slice(0, 5), ...many.slice(0, 2)];
      const allowed = await limited.raw({ query: ENTITIES, variables: { representations: repeated } });
      expect(allowed.body.data._entities).toHaveLength(12);
      expect(limited.sim.count('getJob')).toBe(5);
    } finally {
      await limited.close();
    }
  });

  it('resolves the same fields as `fineTune(id)`', async () => {
    const { body: viaEntity } = await stack.raw({
      query: ENTITIES,
      variables: { representations: [{ __typename: 'FineTuneJob', id: ids[0] }] },
    });
    const { body: viaQuery } = await stack.raw({
      query: `{ fineTune(id: "${ids[0]}") { __typename ... on FineTuneJob { id status model createdAt } } }`,
    });
    expect(viaEntity.data._entities[0]).toEqual(viaQuery.data.fineTune);
  });

  it('invalid ids in representations cost no upstream call and fail only their own entry', async () => {
    const bad = [{ id: '../../x' }, { id: '' }, { id: 'a/b' }, { id: 'x'.repeat(500) }, { id: 42 }, {}];
    const representations = [...bad.map((fields) => ({ __typename: 'FineTuneJob', ...fields })), { __typename: 'FineTuneJob', id: fresh }];
    const before = stack.sim.calls.length;

    const { status, body } = await stack.raw({ query: ENTITIES, variables: { representations } });

    expect(stack.sim.calls.slice(before).map((call) => call.jobId)).toEqual([fresh]);
    expect(status).toBe(200);
    expect(body.data._entities.slice(0, bad.length)).toEqual(bad.map(() => null));
    expect(body.data._entities[bad.length]).toMatchObject({ __typename: 'FineTuneJob', id: fresh });
    expect(body.errors?.map((error) => error.path)).toEqual(bad.map((_, i) => ['_entities', i]));
    for (const error of body.errors ?? []) expect(error.extensions).toMatchObject({ code: 'InvalidParameter', argument: 'id' });
  });

  it('`_service { sdl }` answers the committed subgraph SDL, with the entity key and the Federation v2 link', async () => {
    const { body } = await stack.raw({ query: '{ _service { sdl } }' });
    const sdl = body.data._service.sdl as string;
    expect(`${sdl}\n`).toBe(readFileSync(new URL('../schema/subgraph.graphql', import.meta.url), 'utf8'));
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.');
    expect(sdl).toMatch(/type FineTuneJob implements Node\s+@key\(fields: "id"\)/);
  });
});

describe('`_entities` without a credential (forwarding mode)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_API_KEY: '' } });
  });
  afterAll(() => stack.close());

  it('answers null with an AuthenticationError per entry and makes no upstream call', async () => {
    const id = stack.sim.jobs()[0]!.job_id;
    const { body } = await stack.raw({
      query: ENTITIES,
      variables: {
        representations: [
          { __typename: 'FineTuneJob', id },
          { __typename: 'FineTuneJob', id },
        ],
      },
    });
    expect(stack.sim.calls).toHaveLength(0);
    expect(body.data._entities).toEqual([null, null]);
    expect(body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['_entities', 0], 'MissingCredential'],
      [['_entities', 1], 'MissingCredential'],
    ]);
  });

  it("uses the caller's own key for entities, like any other field", async () => {
    const id = stack.sim.jobs()[0]!.job_id;
    const { body } = await stack.raw(
      { query: ENTITIES, variables: { representations: [{ __typename: 'FineTuneJob', id }] } },
      { authorization: `Bearer ${DEMO_API_KEY}` },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data._entities[0]).toMatchObject({ id });
    expect(stack.sim.calls.at(-1)).toMatchObject({ endpoint: 'getJob', jobId: id, apiKey: DEMO_API_KEY });
  });
});
