import type { GraphiQLOptions } from 'graphql-yoga';

/** The vendor's example job: present in the simulator's demo data, so the tour runs as-is. */
export const EXAMPLE_JOB_ID = 'ft-202410291653-1c7f';

/** The operations GraphiQL opens with: a tour of the API for a frontend engineer. */
export const GRAPHIQL_DEFAULT_QUERY = `# Fine-tuning jobs over GraphQL.
# Press ▶ and pick an operation, or put the cursor
# in one and press Ctrl+Enter. The Docs pane (book
# icon, top left) documents every type and field.
#
# Every field answers a union of the data and the
# expected errors: select the data with
#   ... on JobConnection / ... on FineTuneJob
# and every failure at once with
#   ... on Error { message code requestId }

# A page of jobs, newest first. For the next page,
# set Variables to {"page": {"number": 2, "size": 5}}
query RecentJobs(
  $page: PageInput = { number: 1, size: 5 }
) {
  fineTunes(page: $page) {
    __typename
    ... on JobConnection {
      totalCount
      totalPages
      pageInfo { hasNextPage hasPreviousPage endCursor }
      nodes {
        id model status isTerminal
        createdAt durationSeconds
      }
    }
    ... on Error { message code requestId }
  }
}

# One job by id.
query OneJob($id: ID! = "${EXAMPLE_JOB_ID}") {
  fineTune(id: $id) {
    __typename
    ... on FineTuneJob {
      id status rawStatus model finetunedOutput
      createdAt endedAt durationSeconds
      hyperParameters { nEpochs learningRate raw }
    }
    ... on Error { message code requestId }
  }
}

# Errors are data: an unknown id answers
# NotFoundError with the upstream's request_id
# (quote it in support tickets), not an entry
# in "errors".
query MissingJob {
  fineTune(id: "ft-000000000000-none") {
    __typename
    ... on FineTuneJob { id status }
    ... on NotFoundError { message requestId }
    ... on Error { message code requestId }
  }
}

# Live status over Server-Sent Events: the job now,
# then at every status change; completes once the job
# has ended (this one already has).
subscription WatchJob($id: ID! = "${EXAMPLE_JOB_ID}") {
  fineTuneStatus(id: $id) {
    __typename
    ... on FineTuneJob { id status isTerminal endedAt }
    ... on Error { message code requestId }
  }
}

# Bad input is answered by the gateway itself,
# without calling the upstream.
query InvalidPage {
  fineTunes(page: { size: 500 }) {
    __typename
    ... on InvalidParameterError { argument }
    ... on Error { message code }
  }
}
`;

/** GraphiQL's options; `endpoint` is filled in by Yoga. */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'Fine-tuning jobs · GraphQL',
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  // Subscriptions use Yoga's built-in Server-Sent Events transport.
  subscriptionsProtocol: 'SSE',
};

/**
 * Renders GraphiQL with its script, styles and editor workers inlined (from
 * @graphql-yoga/render-graphiql) instead of Yoga's default page, which loads them from unpkg.com:
 * the page then works offline and behind egress firewalls. That module is about 9 MB of inlined
 * assets, so it is loaded on the first GraphiQL request only (processes that never serve GraphiQL,
 * and every test, skip its start-up time and memory), and each page is rendered once.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  const rendered = new Map<string, Promise<string>>();
  return (options) => {
    const key = JSON.stringify(options);
    let page = rendered.get(key);
    if (page === undefined) {
      page = import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options));
      page.catch(() => rendered.delete(key));
      rendered.set(key, page);
    }
    return page;
  };
}
