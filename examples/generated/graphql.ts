/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** A new fine-tuning job (DashScope `POST /api/v1/fine-tunes`). The gateway checks what cannot be right (ids, training type, hyper-parameter types) before calling the upstream; which model takes which training type and hyper-parameter range is the upstream's call. */
export type CreateFineTuneInput = {
  /** Hyper-parameters as the upstream names them (`hyper_parameters`), e.g. `{"n_epochs": 3, "batch_size": 16, "learning_rate": "1.6e-5"}`. Documented keys are type-checked (integers, numbers or numeric strings, booleans, enums); other keys pass through. */
  hyperParameters?: unknown;
  /** Makes a retry safe: the same key (per credential) within 24 hours answers the same job, read fresh, and never creates a second one, also when both requests arrive at once. The same key with a different input answers `ConflictError` (`IdempotencyKeyReused`). 1 to 255 visible ASCII characters; use a fresh UUID per job. */
  idempotencyKey?: string | null | undefined;
  /** A display name (`job_name`); the upstream uses the job id when absent. */
  jobName?: string | null | undefined;
  /** The base model id (`model`), e.g. `qwen3-14b`, or a model an earlier job produced, to train it again. */
  model: string;
  /** Training file ids from the file API (`training_file_ids`): 1 to 100. */
  trainingFileIds: Array<string>;
  /** The method (`training_type`): `sft`, `efficient_sft` (LoRA), `cpt`, `dpo_full` or `dpo_lora`. Video, image and speech models take `efficient_sft` only. The upstream defaults to `sft`. */
  trainingType?: string | null | undefined;
  /** Validation file ids (`validation_file_ids`); without them a share of the training data is used (`split`). */
  validationFileIds?: Array<string> | null | undefined;
};

/** A checkpoint to export as a deployable model (DashScope `GET /api/v1/fine-tunes/{job_id}/export/{checkpoint}?model_name=`). Checked before any upstream call. */
export type ExportCheckpointInput = {
  /** The checkpoint name as `FineTuneJob.checkpoints` shows it (`FineTuneCheckpoint.checkpoint`), e.g. `checkpoint-160`. */
  checkpoint: string;
  /** The job id (`job_id`), e.g. `ft-202410291653-1c7f`. */
  jobId: string;
  /** The model's display name in the console (`model_name`): letters, digits, `_` and `-`, 1 to 128 characters, unique. Not the id to deploy: that is the checkpoint's `modelName` once it is SUCCEEDED. */
  modelName: string;
};

/** The state of a fine-tuning job. The upstream set is open: unknown values map to `UNKNOWN`. */
export type FineTuneStatus =
  /** Canceled before it finished. Terminal. */
  | 'CANCELED'
  /** A cancel was requested and is being carried out. */
  | 'CANCELING'
  /** Finished without a model. Terminal. */
  | 'FAILED'
  /** Created, waiting to start. */
  | 'PENDING'
  /** Waiting in the queue for resources. */
  | 'QUEUING'
  /** Training. */
  | 'RUNNING'
  /** Finished; `finetunedOutput` names the resulting model. Terminal. */
  | 'SUCCEEDED'
  /** Paused by the platform. */
  | 'SUSPENDED'
  /** A status this gateway does not know; `rawStatus` has the upstream value. */
  | 'UNKNOWN';

/** Which page of the list to fetch. Page numbers start at 1. */
export type PageInput = {
  /** The page number, 1 or more. @default 1 */
  number?: number | null | undefined;
  /** Jobs per page, 1 to 100. @default 10 */
  size?: number | null | undefined;
};

export type JobSummaryFragment = { __typename: 'FineTuneJob', id: string, model: string, status: FineTuneStatus, isTerminal: boolean, createdAt: string | null };

export type JobListQueryVariables = Exact<{
  page?: PageInput | null | undefined;
  model?: string | null | undefined;
}>;


export type JobListQuery = { __typename: 'Query', fineTunes:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'JobConnection', totalCount: number, pageNumber: number, totalPages: number, pageInfo: { __typename: 'PageInfo', hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ __typename: 'FineTuneJob', id: string, model: string, status: FineTuneStatus, isTerminal: boolean, createdAt: string | null }> }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type JobDetailsQueryVariables = Exact<{
  id: string;
}>;


export type JobDetailsQuery = { __typename: 'Query', fineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', finetunedOutput: string | null, endedAt: string | null, durationSeconds: number | null, id: string, model: string, status: FineTuneStatus, isTerminal: boolean, createdAt: string | null, hyperParameters: { __typename: 'HyperParameters', nEpochs: number | null, batchSize: number | null, learningRate: number | null } | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, requestId: string | null, code: string }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type JobStatusSubscriptionVariables = Exact<{
  id: string;
}>;


export type JobStatusSubscription = { fineTuneStatus:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, status: FineTuneStatus, isTerminal: boolean, finetunedOutput: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type CreateJobMutationVariables = Exact<{
  input: CreateFineTuneInput;
}>;


export type CreateJobMutation = { __typename: 'Mutation', createFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'ConflictError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', trainingType: string | null, id: string, model: string, status: FineTuneStatus, isTerminal: boolean, createdAt: string | null }
    | { __typename: 'InvalidParameterError', argument: string | null, message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type CancelJobMutationVariables = Exact<{
  id: string;
}>;


export type CancelJobMutation = { __typename: 'Mutation', cancelFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, model: string, status: FineTuneStatus, isTerminal: boolean, createdAt: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type DeleteJobMutationVariables = Exact<{
  id: string;
}>;


export type DeleteJobMutation = { __typename: 'Mutation', deleteFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'DeletedFineTuneJob', id: string }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type ExportCheckpointMutationVariables = Exact<{
  input: ExportCheckpointInput;
}>;


export type ExportCheckpointMutation = { __typename: 'Mutation', exportFineTuneCheckpoint:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneCheckpoint', id: string, checkpoint: string | null, status: string, modelName: string | null }
    | { __typename: 'InvalidParameterError', argument: string | null, message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export const JobSummaryFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<JobSummaryFragment, unknown>;
export const JobListDocument = {"__meta__":{"hash":"sha256:92c14716050703162dce20a2ef839f69461ed6fed338ae78b2c6acc0a6d62cad"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"page"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"PageInput"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"fineTunes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"page"},"value":{"kind":"Variable","name":{"kind":"Name","value":"page"}}},{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"JobConnection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageNumber"}},{"kind":"Field","name":{"kind":"Name","value":"totalPages"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"JobSummary"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<JobListQuery, JobListQueryVariables>;
export const JobDetailsDocument = {"__meta__":{"hash":"sha256:6287636ea3724c66fee0700a06dca0e9bb5ced8d170722b3b07785b6bd84ccea"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobDetails"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"fineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"JobSummary"}},{"kind":"Field","name":{"kind":"Name","value":"finetunedOutput"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"hyperParameters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"nEpochs"}},{"kind":"Field","name":{"kind":"Name","value":"batchSize"}},{"kind":"Field","name":{"kind":"Name","value":"learningRate"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"NotFoundError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<JobDetailsQuery, JobDetailsQueryVariables>;
export const JobStatusDocument = {"__meta__":{"hash":"sha256:2507f714e7b111525752c5dd3656b6f05f8023ea1b7a5768e0584b1d667cd26e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"JobStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTuneStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"finetunedOutput"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}}]} as unknown as DocumentNode<JobStatusSubscription, JobStatusSubscriptionVariables>;
export const CreateJobDocument = {"__meta__":{"hash":"sha256:f3e272f375cb7fd1ea2c7f00d34c9f59913ebd36cdda62ae39df24fb29eb02ae"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateFineTuneInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"createFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"JobSummary"}},{"kind":"Field","name":{"kind":"Name","value":"trainingType"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<CreateJobMutation, CreateJobMutationVariables>;
export const CancelJobDocument = {"__meta__":{"hash":"sha256:c0092012333189268968be3ce8b8b8bd3e0f47be46096a0a30dc274c51756d14"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cancelFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"JobSummary"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]} as unknown as DocumentNode<CancelJobMutation, CancelJobMutationVariables>;
export const DeleteJobDocument = {"__meta__":{"hash":"sha256:6e2f6b2aa6d2732f1d517c3ad5d754a0ee6b86898bc778b59546ba3092125cfb"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"deleteFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DeletedFineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}}]} as unknown as DocumentNode<DeleteJobMutation, DeleteJobMutationVariables>;
export const ExportCheckpointDocument = {"__meta__":{"hash":"sha256:9df327792288065537240c1fccf09a2e356d4d221f1677f36dfdab4be5ad09b7"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ExportCheckpoint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ExportCheckpointInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"exportFineTuneCheckpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneCheckpoint"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"modelName"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}}]} as unknown as DocumentNode<ExportCheckpointMutation, ExportCheckpointMutationVariables>;