import { graphql } from './graphql.js';

/** One job, refetchable on its own through `node(id:)` (`useRefetchableFragment`). */
export const JobRowFragment = graphql`
  fragment JobRow_job on FineTuneJob @refetchable(queryName: "JobRowRefetchQuery") {
    id
    status
    model
    createdAt
    isTerminal
  }
`;
