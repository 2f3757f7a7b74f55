/** The operations GraphiQL opens with: a tour of the API for a frontend engineer. */
export const GRAPHIQL_DEFAULT_QUERY = `# Fine-tuning jobs over GraphQL. Press ▶ to run "RecentJobs".
# Every field answers a union: match the data type and the errors with "... on Error".

query RecentJobs {
  fineTunes(page: { number: 1, size: 5 }) {
    __typename
    ... on JobConnection {
      totalCount
      totalPages
      pageInfo { hasNextPage endCursor }
      nodes { id model status createdAt durationSeconds isTerminal }
    }
    ... on Error { message code requestId }
  }
}

query OneJob {
  fineTune(id: "ft-202410291653-1c7f") {
    __typename
    ... on FineTuneJob {
      id status rawStatus model finetunedOutput createdAt endedAt
      hyperParameters { nEpochs learningRate raw }
    }
    ... on NotFoundError { message requestId }
    ... on Error { message code requestId }
  }
}

query InvalidPage {
  fineTunes(page: { size: 500 }) {
    ... on InvalidParameterError { message code argument }
  }
}
`;
