import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * Apollo Client 4's `relayStylePagination()` field policy over `fineTuneJobs`: `fetchMore` with the
 * page's `endCursor` appends to the list in the cache, also when jobs were created upstream
 * between two pages.
 */

interface JobsData {
  fineTuneJobs: {
    edges: { cursor: string; node: { id: string; status: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    totalCount: number;
  } | null;
}

const JOBS = gql`
  query RelayJobs($first: Int, $after: String, $model: String) {
    fineTuneJobs(first: $first, after: $after, model: $model) {
      edges {
        cursor
        node {
          id
          status
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`;

describe("Apollo Client 4's relayStylePagination()", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: NO_CACHE });
  });
  afterAll(() => stack.close());

  it('grows the list across two fetchMore calls, with new jobs created upstream in between', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: `${stack.url}/graphql` }),
      cache: new InMemoryCache({ typePolicies: { Query: { fields: { fineTuneJobs: relayStylePagination(['model']) } } } }),
      devtools: { enabled: false },
    });
    const original = stack.sim.jobs().map((job) => job.job_id);
    const ids = (data: JobsData | undefined) => data?.fineTuneJobs?.edges.map((edge) => edge.node.id) ?? [];
    const since = stack.sim.calls.length;

    const watched = client.watchQuery<JobsData>({ query: JOBS, variables: { first: 5 } });
    // What a component would render: the latest result the watched query emitted.
    let rendered: JobsData | undefined;
    let loaded: (data: JobsData) => void = () => {};
    const firstPage = new Promise<JobsData>((resolve) => {
      loaded = resolve;
    });
    const subscription = watched.subscribe((result) => {
      rendered = result.data as JobsData | undefined;
      if (result.dataState === 'complete') loaded(result.data as JobsData);
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    try {
      const first = { data: await firstPage };
      expect(ids(first.data)).toEqual(original.slice(0, 5));

      // Jobs created upstream ahead of the list: the next page must still start after the 5th job.
      const template = stack.sim.jobs()[0]!;
      stack.sim.upsertJob({ ...template, job_id: 'ft-apollo-new-1', create_time: '2031-01-01 00:00:01' });
      stack.sim.upsertJob({ ...template, job_id: 'ft-apollo-new-2', create_time: '2031-01-01 00:00:02' });

      await watched.fetchMore({ variables: { after: first.data?.fineTuneJobs?.pageInfo.endCursor } });
      await settle();
      expect(ids(rendered)).toEqual(original.slice(0, 10));

      const cached = client.readQuery<JobsData>({ query: JOBS, variables: { first: 5 } });
      expect(ids(cached ?? undefined)).toEqual(original.slice(0, 10));
      await watched.fetchMore({ variables: { after: cached?.fineTuneJobs?.pageInfo.endCursor } });
      await settle();
      const grown = rendered as JobsData;
      expect(ids(grown)).toEqual(original.slice(0, 15));
      expect(grown.fineTuneJobs?.pageInfo.hasNextPage).toBe(true);
      expect(grown.fineTuneJobs?.totalCount).toBe(original.length + 2);
      // One upstream list call per page.
      expect(stack.sim.count('listJobs', since)).toBe(3);
    } finally {
      subscription.unsubscribe();
      client.stop();
    }
  });
});
