import { type RunningSubgraph, startSdlSubgraph } from './sdl-subgraph.js';

/**
 * A second subgraph, as another team would write it (SDL-first with @apollo/subgraph, served by
 * Yoga): deployments of fine-tuned models, each referencing the `FineTuneJob` it serves by key.
 * It also contributes `FineTuneJob.deployments`, so the entity is extended across subgraphs.
 */
export const DEPLOYMENTS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Query {
    "Every deployment of a fine-tuned model."
    deployments: [Deployment!]!
  }

  "A fine-tuned model serving traffic."
  type Deployment @key(fields: "id") {
    id: ID!
    name: String!
    "The job that produced the deployed model, resolved by the fine-tunes subgraph."
    job: FineTuneJob
  }

  type FineTuneJob @key(fields: "id") {
    id: ID!
    "Deployments serving this job's model."
    deployments: [Deployment!]!
  }
`;

export interface Deployment {
  id: string;
  name: string;
  jobId: string;
}

export async function startDeploymentsSubgraph(deployments: readonly Deployment[]): Promise<RunningSubgraph> {
  return startSdlSubgraph(DEPLOYMENTS_SDL, {
    Query: { deployments: () => deployments },
    Deployment: {
      __resolveReference: ({ id }: { id: string }) => deployments.find((deployment) => deployment.id === id) ?? null,
      job: (deployment: Deployment) => ({ __typename: 'FineTuneJob', id: deployment.jobId }),
    },
    FineTuneJob: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      deployments: ({ id }: { id: string }) => deployments.filter((deployment) => deployment.jobId === id),
    },
  });
}
