import { graphql } from './graphql.js';

/** An infinite list of jobs: `usePaginationFragment` over `fineTuneJobs`, newest first. */
export const JobListFragment = graphql`
  fragment JobList_query on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" }, model: { type: "String" })
  @refetchable(queryName: "JobListPaginationQuery") {
    fineTuneJobs(first: $count, after: $cursor, model: $model) @connection(key: "JobList_fineTuneJobs", filters: ["model"]) {
      totalCount
      edges {
        node {
          id
          ...JobRow_job
        }
      }
    }
  }
`;

/** The same list read from its end: `loadPrevious` with `last`/`before`. */
export const OldestJobsFragment = graphql`
  fragment JobList_oldest on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "JobListOldestPaginationQuery") {
    oldest: fineTuneJobs(last: $count, before: $cursor) @connection(key: "JobList_oldest") {
      edges {
        node {
          id
        }
      }
    }
  }
`;

export const JobListQuery = graphql`
  query JobListQuery {
    ...JobList_query
    ...JobList_oldest
  }
`;
