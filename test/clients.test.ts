import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { GraphQLClient } from 'graphql-request';
import { createClient as createSSEClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { vendorExampleJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { JobByIdDocument, JobsPageDocument, WatchJobStatusDocument } from './generated/graphql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * graphql-request and urql, with their defaults and the generated typed documents, against the
 * gateway over HTTP: queries, errors as union members, a subscription. (Apollo Client:
 * apollo-client.test.ts; graphql-sse: graphql-sse.test.ts; each client's documented recipe:
 * frontend-recipes.test.ts.)
 */

const MISSING_JOB = 'ft-000000000000-none';

describe('graphql-request and urql', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { DASHSCOPE_POLL_INTERVAL_MS: '100' } });
  });
  afterAll(() => stack.close());

  for (const method of ['POST', 'GET'] as const) {
    it(`graphql-request (${method}): typed queries, a NotFoundError and an InvalidParameterError as data`, async () => {
      const methods: string[] = [];
      const client = new GraphQLClient(`${stack.url}/graphql`, {
        method,
        fetch: (input: RequestInfo | URL, init?: RequestInit) => {
          methods.push(init?.method ?? 'GET');
          return fetch(input, init);
        },
      });
      const { fineTune } = await client.request(JobByIdDocument, { id: EXAMPLE_JOB_ID });
      expect(fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED', durationSeconds: 1053 });
      const missing = await client.request(JobByIdDocument, { id: MISSING_JOB });
      expect(missing.fineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound', requestId: expect.any(String) });
      const badPage = await client.request(JobsPageDocument, { page: { number: 0, size: 10 } });
      expect(badPage.fineTunes).toMatchObject({ __typename: 'InvalidParameterError', argument: 'page.number' });
      expect(methods).toEqual([method, method, method]);
    });
  }

  it("urql's default client: a page of jobs, an error as data, and a live subscription through graphql-sse", async () => {
    const sse = createSSEClient({ url: `${stack.url}/graphql`, retryAttempts: 0 });
    const client = new Client({
      url: `${stack.url}/graphql`,
      exchanges: [
        cacheExchange,
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (operation) => ({
            subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...operation, query: operation.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    try {
      const page = await client.query(JobsPageDocument, { page: { number: 1, size: 3 } }).toPromise();
      expect(page.error).toBeUndefined();
      expect(page.data?.fineTunes).toMatchObject({ __typename: 'JobConnection', pageSize: 3, nodes: expect.any(Array) });
      const missing = await client.query(JobByIdDocument, { id: MISSING_JOB }).toPromise();
      expect(missing.data?.fineTune).toMatchObject({ __typename: 'NotFoundError', code: 'NotFound' });

      const id = 'ft-202611230900-urql';
      const [example] = vendorExampleJobs();
      const { finetuned_output: _output, end_time: _end, ...pending } = example as WireJob;
      stack.sim.upsertJob({ ...pending, job_id: id, job_name: id, status: 'PENDING' });
      const statuses = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const timer = setTimeout(() => reject(new Error(`no terminal status; saw ${seen.join(', ')}`)), 10_000);
        const { unsubscribe } = client.subscription(WatchJobStatusDocument, { id }).subscribe((result) => {
          const event = result.data?.fineTuneStatus;
          if (event?.__typename !== 'FineTuneJob') return reject(new Error(JSON.stringify(result)));
          seen.push(event.status);
          if (event.status === 'PENDING') stack.sim.updateJob(id, { status: 'RUNNING' });
          if (event.status === 'RUNNING') stack.sim.updateJob(id, { status: 'FAILED', end_time: '2026-11-23 09:30:00' });
          if (event.isTerminal) {
            clearTimeout(timer);
            unsubscribe();
            resolve(seen);
          }
        });
      });
      expect(statuses).toEqual(['PENDING', 'RUNNING', 'FAILED']);
    } finally {
      sse.dispose();
    }
  });
});
