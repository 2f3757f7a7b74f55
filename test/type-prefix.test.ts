import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema, printSubgraphSdl, schema } from '../src/schema/index.js';
import { ownedTypeNames, prefixOwnedTypes } from '../src/schema/type-prefix.js';
import { startDeploymentsSubgraph } from './support/deployments-subgraph.js';
import { type RunningSubgraph, startSdlSubgraph } from './support/sdl-subgraph.js';
import { type Stack, startStack } from './support/stack.js';
import { CompositionError, type RunningGateway, composeWithApollo, composeWithTheGuild, startApolloGateway } from './support/supergraph.js';

/** The names docs/supergraph.md documents as ours (prefixed by GRAPHQL_TYPE_PREFIX). */
const OWNED = [
  'AuthenticationError',
  'CancelFineTuneResult',
  'ConflictError',
  'CreateFineTuneInput',
  'CreateFineTuneResult',
  'DeleteFineTuneResult',
  'DeletedFineTuneJob',
  'Error',
  'ExportCheckpointInput',
  'ExportCheckpointResult',
  'FineTuneCheckpoint',
  'FineTuneLogConnection',
  'FineTuneLogEdge',
  'FineTuneLogLine',
  'FineTuneResult',
  'FineTuneJobConnection',
  'FineTuneJobEdge',
  'FineTuneStatus',
  'FineTunesResult',
  'HyperParameters',
  'InvalidParameterError',
  'JobConnection',
  'JobEdge',
  'NotFoundError',
  'PageInfo',
  'PageInput',
  'ThrottlingError',
  'UnsupportedOperationError',
  'UpstreamError',
];

/** Another team's subgraph with the generic error names everyone reaches for. */
const ACCOUNTS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Query { account(id: ID!): AccountResult! }
  union AccountResult = Account | NotFoundError
  interface Error { message: String! }
  type NotFoundError implements Error { message: String! }
  type Account @key(fields: "id") { id: ID! name: String! }
`;

describe('the types this subgraph owns', () => {
  it('are exactly the documented list; FineTuneJob, Node, Query and the scalars are not among them', () => {
    expect(ownedTypeNames(schema)).toEqual([...OWNED].sort());
  });

  it('createSchema builds each prefix once per process', () => {
    expect(createSchema()).toBe(schema);
    expect(createSchema({ typePrefix: 'FineTunes' })).toBe(createSchema({ typePrefix: 'FineTunes' }));
  });

  it('rejects a prefix that is not the start of a GraphQL name, or that would collide with a kept name', () => {
    expect(() => createSchema({ typePrefix: '_x' })).toThrow(/_x/);
    expect(() => createSchema({ typePrefix: 'Fine-Tunes' })).toThrow(/Fine-Tunes/);
    const small = buildSchema('scalar MyPage type Page { n: Int } type Query { page: Page, at: MyPage }');
    expect(() => prefixOwnedTypes(small, 'My')).toThrow(/MyPage, which already exists/);
    expect(prefixOwnedTypes(small, 'Our').getQueryType()?.getFields().page?.type.toString()).toBe('OurPage');
  });
});

describe('GRAPHQL_TYPE_PREFIX against a subgraph that also owns `Error` and `NotFoundError`', () => {
  let stack: Stack;
  let accounts: RunningSubgraph;
  let deployments: RunningSubgraph;
  let gateway: RunningGateway;
  let sdl: string;

  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_TYPE_PREFIX: 'FineTunes' } });
    accounts = await startSdlSubgraph(ACCOUNTS_SDL, {
      Query: { account: (_: unknown, { id }: { id: string }) => (id === 'a1' ? { id, name: 'Ada' } : { message: `No account ${id}.` }) },
      AccountResult: { __resolveType: (value: { id?: string }) => (value.id ? 'Account' : 'NotFoundError') },
      Error: { __resolveType: () => 'NotFoundError' },
    });
    deployments = await startDeploymentsSubgraph([{ id: 'dep-0', name: 'chat-0', jobId: stack.sim.jobs()[0]!.job_id }]);
    const { body } = await stack.raw({ query: '{ _service { sdl } }' });
    sdl = body.data._service.sdl;
  });
  afterAll(async () => {
    await gateway?.close();
    await deployments?.close();
    await accounts?.close();
    await stack?.close();
  });

  const subgraphs = (fineTunesSdl: string) => [
    { name: 'fine-tunes', url: `${stack.url}/graphql`, sdl: fineTunesSdl },
    { name: 'accounts', url: accounts.url, sdl: accounts.sdl },
    { name: 'deployments', url: deployments.url, sdl: deployments.sdl },
  ];

  it('without a prefix, composition fails on the shared names (Apollo and The Guild agree)', () => {
    const collision = /Non-shareable field "NotFoundError.message" is resolved from multiple subgraphs/;
    for (const compose of [composeWithApollo, composeWithTheGuild]) {
      const attempt = () => compose(subgraphs(printSubgraphSdl(schema)));
      expect(attempt).toThrow(CompositionError);
      expect(attempt).toThrow(collision);
    }
  });

  it('with GRAPHQL_TYPE_PREFIX=FineTunes, `_service { sdl }` prefixes the owned types and keeps the entity', () => {
    for (const name of OWNED) expect(sdl).toMatch(new RegExp(`^(type|interface|union|enum|input) FineTunes${name}\\b`, 'm'));
    expect(sdl).toMatch(/^type FineTunesNotFoundError implements FineTunesError \{/m);
    expect(sdl).toMatch(/^type FineTuneJob implements Node\s+@key\(fields: "id"\)/m);
    expect(sdl).toMatch(/^scalar DateTime$/m);
    expect(sdl).toMatch(/fineTune\(\s+"""[^"]*"""\s+id: ID!\s+\): FineTunesFineTuneResult!/);
    expect(sdl).toBe(printSubgraphSdl(createSchema({ typePrefix: 'FineTunes' })));
  });

  it('composes without errors or hints with Apollo, and with The Guild', () => {
    const composition = composeWithApollo(subgraphs(sdl));
    expect(composition.hints.map((hint) => `${hint.definition.code}: ${hint.message}`)).toEqual([]);
    expect(composeWithTheGuild(subgraphs(sdl))).toContain('FineTunesNotFoundError');
  });

  it('answers prefixed __typenames from the unions and the Error interface, directly and through a gateway', async () => {
    const query = `{
      missing: fineTune(id: "ft-000000000000-none") { __typename ... on FineTunesError { code } }
      bad: fineTunes(page: { size: 500 }) { __typename ... on FineTunesInvalidParameterError { argument } }
    }`;
    const direct = await stack.raw({ query });
    expect(direct.body.errors).toBeUndefined();
    expect(direct.body.data).toEqual({
      missing: { __typename: 'FineTunesNotFoundError', code: 'NotFound' },
      bad: { __typename: 'FineTunesInvalidParameterError', argument: 'page.size' },
    });

    gateway = await startApolloGateway(composeWithApollo(subgraphs(sdl)).supergraphSdl);
    const viaGateway = await gateway.query(`{
      missing: fineTune(id: "ft-000000000000-none") { __typename ... on FineTunesError { code } }
      account(id: "zz") { __typename ... on Error { message } }
      deployments { job { id isTerminal } }
    }`);
    expect(viaGateway.errors).toBeUndefined();
    expect(viaGateway.data).toEqual({
      missing: { __typename: 'FineTunesNotFoundError', code: 'NotFound' },
      account: { __typename: 'NotFoundError', message: 'No account zz.' },
      deployments: [{ job: { id: stack.sim.jobs()[0]!.job_id, isTerminal: expect.any(Boolean) } }],
    });
  });
});
