/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment JobSummary on FineTuneJob {\n  id\n  model\n  status\n  isTerminal\n  createdAt\n}\n\nquery JobList($page: PageInput, $model: String) {\n  fineTunes(page: $page, model: $model) {\n    __typename\n    ... on JobConnection {\n      totalCount\n      pageNumber\n      totalPages\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...JobSummary\n      }\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nquery JobDetails($id: ID!) {\n  fineTune(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      ...JobSummary\n      finetunedOutput\n      endedAt\n      durationSeconds\n      hyperParameters {\n        nEpochs\n        batchSize\n        learningRate\n      }\n    }\n    ... on NotFoundError {\n      message\n      requestId\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nsubscription JobStatus($id: ID!) {\n  fineTuneStatus(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      id\n      status\n      isTerminal\n      finetunedOutput\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}": typeof types.JobSummaryFragmentDoc,
};
const documents: Documents = {
    "fragment JobSummary on FineTuneJob {\n  id\n  model\n  status\n  isTerminal\n  createdAt\n}\n\nquery JobList($page: PageInput, $model: String) {\n  fineTunes(page: $page, model: $model) {\n    __typename\n    ... on JobConnection {\n      totalCount\n      pageNumber\n      totalPages\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...JobSummary\n      }\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nquery JobDetails($id: ID!) {\n  fineTune(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      ...JobSummary\n      finetunedOutput\n      endedAt\n      durationSeconds\n      hyperParameters {\n        nEpochs\n        batchSize\n        learningRate\n      }\n    }\n    ... on NotFoundError {\n      message\n      requestId\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nsubscription JobStatus($id: ID!) {\n  fineTuneStatus(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      id\n      status\n      isTerminal\n      finetunedOutput\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}": types.JobSummaryFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment JobSummary on FineTuneJob {\n  id\n  model\n  status\n  isTerminal\n  createdAt\n}\n\nquery JobList($page: PageInput, $model: String) {\n  fineTunes(page: $page, model: $model) {\n    __typename\n    ... on JobConnection {\n      totalCount\n      pageNumber\n      totalPages\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...JobSummary\n      }\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nquery JobDetails($id: ID!) {\n  fineTune(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      ...JobSummary\n      finetunedOutput\n      endedAt\n      durationSeconds\n      hyperParameters {\n        nEpochs\n        batchSize\n        learningRate\n      }\n    }\n    ... on NotFoundError {\n      message\n      requestId\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nsubscription JobStatus($id: ID!) {\n  fineTuneStatus(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      id\n      status\n      isTerminal\n      finetunedOutput\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}"): (typeof documents)["fragment JobSummary on FineTuneJob {\n  id\n  model\n  status\n  isTerminal\n  createdAt\n}\n\nquery JobList($page: PageInput, $model: String) {\n  fineTunes(page: $page, model: $model) {\n    __typename\n    ... on JobConnection {\n      totalCount\n      pageNumber\n      totalPages\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      nodes {\n        ...JobSummary\n      }\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nquery JobDetails($id: ID!) {\n  fineTune(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      ...JobSummary\n      finetunedOutput\n      endedAt\n      durationSeconds\n      hyperParameters {\n        nEpochs\n        batchSize\n        learningRate\n      }\n    }\n    ... on NotFoundError {\n      message\n      requestId\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}\n\nsubscription JobStatus($id: ID!) {\n  fineTuneStatus(id: $id) {\n    __typename\n    ... on FineTuneJob {\n      id\n      status\n      isTerminal\n      finetunedOutput\n    }\n    ... on Error {\n      message\n      code\n      requestId\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;