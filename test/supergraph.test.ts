import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-sse';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFineTuneJob } from '../src/upstream/job-mapping.js';
import { type Deployment, startDeploymentsSubgraph } from './support/deployments-subgraph.js';
import type { RunningSubgraph } from './support/sdl-subgraph.js';
import { type OutboundGuard, watchOutboundConnections } from './support/outbound-guard.js';
import { type Stack, startStack } from './support/stack.js';
import {
  type ApolloComposition,
  type RunningGateway,
  type SubgraphDefinition,
  composeWithApollo,
  type RunningHiveGateway,
  composeWithTheGuild,
  startApolloGateway,
  startHiveGateway,
} from './support/supergraph.js';

const SUBGRAPH_SDL = readFileSync(new URL('../schema/subgraph.graphql', import.meta.url), 'utf8');
const MISSING_JOB = 'ft-000000000000-deleted';

describe('the supergraph: fine-tunes + deployments, composed and queried through @apollo/gateway', () => {
  let guard: OutboundGuard;
  let stack: Stack;
  let deploymentsSubgraph: RunningSubgraph;
  let gateway: RunningGateway;
  let composition: ApolloComposition;
  let subgraphs: SubgraphDefinition[];
  let jobIds: string[];
  let deployments: Deployment[];

  beforeAll(async () => {
    guard = watchOutboundConnections();
    stack = await startStack();
    jobIds = stack.sim
      .jobs()
      .slice(30, 33)
      .map((job) => job.job_id);
    // 8 deployments over 3 jobs (repeats on purpose) and one whose job no longer exists upstream.
    deployments = [0, 1, 2, 0, 0, 1, 2, 2].map((j, i) => ({ id: `dep-${i}`, name: `chat-${i}`, jobId: jobIds[j]! }));
    deployments.push({ id: 'dep-orphan', name: 'orphan', jobId: MISSING_JOB });
    deploymentsSubgraph = await startDeploymentsSubgraph(deployments);

    // The fine-tunes SDL is fetched the way a router's introspect-and-compose does it.
    const { body } = await stack.raw({ query: '{ _service { sdl } }' });
    subgraphs = [
      { name: 'fine-tunes', url: `${stack.url}/graphql`, sdl: body.data._service.sdl },
      { name: 'deployments', url: deploymentsSubgraph.url, sdl: deploymentsSubgraph.sdl },
    ];
    composition = composeWithApollo(subgraphs);
    gateway = await startApolloGateway(composition.supergraphSdl);
  });

  afterAll(async () => {
    await gateway?.close();
    await deploymentsSubgraph?.close();
    await stack?.close();
    guard?.stop();
  });

  it('composes with @apollo/composition without errors or hints', () => {
    expect(subgraphs[0]!.sdl).toBe(SUBGRAPH_SDL.trimEnd());
    expect(composition.hints.map((hint) => `${hint.definition.code}: ${hint.message}`)).toEqual([]);
    expect(composition.supergraphSdl).toMatch(
      /type FineTuneJob implements Node\s+@join__implements\(graph: FINE_TUNES, interface: "Node"\)\s+@join__type\(graph: DEPLOYMENTS, key: "id"\)\s+@join__type\(graph: FINE_TUNES, key: "id"\)/,
    );
  });

  it('composes with @theguild/federation-composition (Hive) too', () => {
    expect(composeWithTheGuild(subgraphs)).toContain('@join__type(graph: FINE_TUNES, key: "id")');
  });

  it('serves deployments with their jobs: one batched _entities fetch, one upstream GET per distinct job', async () => {
    const gets = stack.sim.count('getJob');
    const fetches = gateway.subgraphRequests.length;

    const result = await gateway.query(`{ deployments { id name job { id status model createdAt } } }`);

    // Results: each deployment's job as the simulator has it, the orphan's job null with an error.
    expect(result.data.deployments).toHaveLength(9);
    for (const [i, deployment] of deployments.entries()) {
      const got = result.data.deployments[i];
      expect(got).toMatchObject({ id: deployment.id, name: deployment.name });
      if (deployment.jobId === MISSING_JOB) {
        expect(got.job).toBeNull();
        continue;
      }
      const job = toFineTuneJob(stack.sim.jobs().find((wire) => wire.job_id === deployment.jobId)!, stack.config.utcOffset);
      expect(job.createdAt).toMatch(/\+08:00$/);
      expect(got.job).toEqual({ id: deployment.jobId, status: job.status, model: job.model, createdAt: job.createdAt });
    }
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({
      path: ['deployments', 8, 'job'],
      extensions: { code: 'NotFound', serviceName: 'fine-tunes' },
    });

    // Fetches: deployments once, then fine-tunes once with all 9 representations.
    const sent = gateway.subgraphRequests.slice(fetches);
    expect(sent.map((request) => request.subgraph)).toEqual(['deployments', 'fine-tunes']);
    expect(sent[1]!.query).toContain('_entities');
    expect(sent[1]!.variables.representations).toHaveLength(9);

    // Upstream: 3 distinct jobs + the missing one = 4 GETs, not 9.
    expect(stack.sim.count('getJob') - gets).toBe(4);
    expect(new Set(stack.sim.calls.slice(-4).map((call) => call.jobId))).toEqual(new Set([...jobIds, MISSING_JOB]));
  });

  it('extends FineTuneJob from the other side: fineTune(id) with deployments from the deployments subgraph', async () => {
    const fetches = gateway.subgraphRequests.length;
    const result = await gateway.query(
      `query ($id: ID!) { fineTune(id: $id) { __typename ... on FineTuneJob { id isTerminal deployments { name } } ... on Error { code } } }`,
      { id: jobIds[2] },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.fineTune).toMatchObject({
      __typename: 'FineTuneJob',
      id: jobIds[2],
      deployments: [{ name: 'chat-2' }, { name: 'chat-6' }, { name: 'chat-7' }],
    });
    // The router asks us for the job, then the deployments subgraph for the job's entity fields.
    const sent = gateway.subgraphRequests.slice(fetches);
    expect(sent.map((request) => request.subgraph)).toEqual(['fine-tunes', 'deployments']);
    expect(sent[1]!.variables.representations).toEqual([{ __typename: 'FineTuneJob', id: jobIds[2] }]);
  });

  it('keeps the error unions working through the gateway', async () => {
    const result = await gateway.query(`{ fineTune(id: "${MISSING_JOB}") { __typename ... on Error { code requestId } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data.fineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) });
  });

  it('exposes the mutations: composed into the supergraph and run through the router, the job extended by the other subgraph', async () => {
    expect(composition.supergraphSdl).toMatch(/type Mutation\s+@join__type\(graph: FINE_TUNES\)/);
    for (const field of ['createFineTune', 'cancelFineTune', 'deleteFineTune', 'exportFineTuneCheckpoint']) {
      expect(composition.supergraphSdl).toContain(`${field}(`);
    }
    expect(composeWithTheGuild(subgraphs)).toMatch(/type Mutation @join__type\(graph: FINE_TUNES\)/);

    const creates = stack.sim.count('createJob');
    const fetches = gateway.subgraphRequests.length;
    const created = await gateway.query(
      `mutation ($input: CreateFineTuneInput!) {
        createFineTune(input: $input) { __typename ... on FineTuneJob { id status deployments { name } } ... on Error { code } }
      }`,
      { input: { model: 'qwen3-14b', trainingFileIds: ['86a9fe7f-dd77-43b0-9834-2170e12339ec'], idempotencyKey: 'supergraph-1' } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'PENDING', deployments: [] });
    expect(stack.sim.count('createJob') - creates).toBe(1);
    const sent = gateway.subgraphRequests.slice(fetches);
    expect(sent.map((request) => request.subgraph)).toEqual(['fine-tunes', 'deployments']);
    expect(sent[0]!.query).toMatch(/^mutation/);

    const canceled = await gateway.query(
      `mutation ($id: ID!) { cancelFineTune(id: $id) { __typename ... on FineTuneJob { id status } ... on Error { code } } }`,
      { id: created.data.createFineTune.id },
    );
    expect(canceled.data.cancelFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'CANCELING' });
    const refused = await gateway.query(`mutation { deleteFineTune(id: "${MISSING_JOB}") { __typename ... on Error { code requestId } } }`);
    expect(refused.data.deleteFineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) });

    const exports = stack.sim.count('exportCheckpoint');
    const exported = await gateway.query(
      `mutation ($input: ExportCheckpointInput!) {
        exportFineTuneCheckpoint(input: $input) { __typename ... on FineTuneCheckpoint { id status } ... on Error { code } }
      }`,
      { input: { jobId: 'ft-202410291653-1c7f', checkpoint: 'checkpoint-160', modelName: 'supergraph-export' } },
    );
    expect(exported.errors).toBeUndefined();
    expect(exported.data.exportFineTuneCheckpoint).toEqual({
      __typename: 'FineTuneCheckpoint',
      id: 'ft-202410291653-1c7f:checkpoint-160',
      status: 'PROCESSING',
    });
    expect(stack.sim.count('exportCheckpoint') - exports).toBe(1);
  });

  it('stayed on 127.0.0.1: no telemetry, usage report, CDN or metadata probe left the process', () => {
    expect(guard.attempts).toBeGreaterThan(0);
    expect(guard.offLoopback).toEqual([]);
  });
});

describe('Hive Gateway with its default settings: queries and the fineTuneStatus subscription through the router', () => {
  const LIVE_ID = 'ft-202611230900-hive';
  let guard: OutboundGuard;
  let stack: Stack;
  let deploymentsSubgraph: RunningSubgraph;
  let hive: RunningHiveGateway;

  beforeAll(async () => {
    guard = watchOutboundConnections();
    stack = await startStack({ env: { DASHSCOPE_POLL_INTERVAL_MS: '100' } });
    deploymentsSubgraph = await startDeploymentsSubgraph([{ id: 'dep-live', name: 'live', jobId: LIVE_ID }]);
    const { body } = await stack.raw({ query: '{ _service { sdl } }' });
    const supergraph = composeWithTheGuild([
      { name: 'fine-tunes', url: `${stack.url}/graphql`, sdl: body.data._service.sdl },
      { name: 'deployments', url: deploymentsSubgraph.url, sdl: deploymentsSubgraph.sdl },
    ]);
    hive = await startHiveGateway(supergraph);
  });

  afterAll(async () => {
    await hive?.close();
    await deploymentsSubgraph?.close();
    await stack?.close();
    guard?.stop();
  });

  it('answers a query across both subgraphs, errors as data included', async () => {
    const [example] = vendorExampleJobs();
    stack.sim.upsertJob({ ...(example as WireJob), job_id: LIVE_ID, job_name: LIVE_ID, status: 'PENDING' });
    const response = await fetch(hive.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({
        query: `{ deployments { name job { id status } } missing: fineTune(id: "${MISSING_JOB}") { __typename ... on Error { code requestId } } }`,
      }),
    });
    const result = (await response.json()) as { data: any; errors?: unknown };
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      deployments: [{ name: 'live', job: { id: LIVE_ID, status: 'PENDING' } }],
      missing: { __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) },
    });
  });

  it('streams a subscription from this subgraph through the router (graphql-sse client) until the job finishes', async () => {
    const [example] = vendorExampleJobs();
    const { finetuned_output: _output, end_time: _end, ...pending } = example as WireJob;
    stack.sim.upsertJob({ ...pending, job_id: LIVE_ID, job_name: LIVE_ID, status: 'PENDING' });
    const since = hive.subgraphRequests.length;
    const client = createClient({ url: hive.url, retryAttempts: 0 });
    const statuses: string[] = [];
    try {
      for await (const result of client.iterate<any>({
        query: `subscription ($id: ID!) { fineTuneStatus(id: $id) { __typename ... on FineTuneJob { id status isTerminal } ... on Error { code } } }`,
        variables: { id: LIVE_ID },
      })) {
        expect(result.errors).toBeUndefined();
        const { status } = result.data.fineTuneStatus;
        statuses.push(status);
        if (status === 'PENDING') stack.sim.updateJob(LIVE_ID, { status: 'RUNNING' });
        if (status === 'RUNNING') stack.sim.updateJob(LIVE_ID, { status: 'SUCCEEDED', end_time: '2026-11-23 09:30:00' });
      }
    } finally {
      client.dispose();
    }
    expect(statuses).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    // How the router subscribed to us, as it comes: a GET event stream, no CSRF header (refused with 403 before issue 12).
    const toUs = hive.subgraphRequests.slice(since).filter((request) => request.url.startsWith(stack.url));
    expect(toUs).toHaveLength(1);
    expect(toUs[0]).toMatchObject({ method: 'GET', accept: expect.stringContaining('text/event-stream') });
  });

  it('stayed on 127.0.0.1: no usage report, CDN or schema poll left the process', () => {
    expect(guard.attempts).toBeGreaterThan(0);
    expect(guard.offLoopback).toEqual([]);
  });
});
