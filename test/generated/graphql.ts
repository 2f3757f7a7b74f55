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

export type JobLogsQueryVariables = Exact<{
  id: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type JobLogsQuery = { fineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, logs: { totalCount: number | null, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { offset: number, text: string, cursor: string } }> } | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type JobCheckpointsQueryVariables = Exact<{
  id: string;
}>;


export type JobCheckpointsQuery = { fineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, checkpoints: Array<{ id: string, step: number | null, status: string, checkpoint: string | null, modelName: string | null, fullName: string | null, createdAt: string | null, expiresAt: string | null }> | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null }
   };

export type TailJobLogsSubscriptionVariables = Exact<{
  id: string;
  after?: string | null | undefined;
}>;


export type TailJobLogsSubscription = { fineTuneLogs: { offset: number, text: string, cursor: string } };

export type WatchJobStatusSubscriptionVariables = Exact<{
  id: string;
}>;


export type WatchJobStatusSubscription = { fineTuneStatus:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, status: FineTuneStatus, rawStatus: string, isTerminal: boolean, finetunedOutput: string | null, endedAt: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null, retryAfter: number | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type JobsPageQueryVariables = Exact<{
  model?: string | null | undefined;
  page?: PageInput | null | undefined;
}>;


export type JobsPageQuery = { fineTunes:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'JobConnection', totalCount: number, pageNumber: number, pageSize: number, totalPages: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string } }>, nodes: Array<{ id: string, model: string, status: FineTuneStatus, rawStatus: string, createdAt: string | null, isTerminal: boolean }> }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null, retryAfter: number | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type JobByIdQueryVariables = Exact<{
  id: string;
}>;


export type JobByIdQuery = { fineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, jobName: string | null, status: FineTuneStatus, rawStatus: string, finetunedOutput: string | null, model: string, baseModel: string | null, trainingFileIds: Array<string>, validationFileIds: Array<string>, trainingType: string | null, createTime: string | null, endTime: string | null, createdAt: string | null, endedAt: string | null, durationSeconds: number | null, isTerminal: boolean, workspaceId: string | null, userIdentity: string | null, modifier: string | null, creator: string | null, group: string | null, usage: number | null, outputCnt: number | null, maxOutputCnt: number | null, hyperParameters: { nEpochs: number | null, batchSize: number | null, maxLength: number | null, learningRate: number | null, lrSchedulerType: string | null, split: number | null, raw: unknown } | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null, retryAfter: number | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type JobFieldsFragment = { id: string, jobName: string | null, status: FineTuneStatus, rawStatus: string, finetunedOutput: string | null, model: string, baseModel: string | null, trainingFileIds: Array<string>, validationFileIds: Array<string>, trainingType: string | null, createTime: string | null, endTime: string | null, createdAt: string | null, endedAt: string | null, durationSeconds: number | null, isTerminal: boolean, workspaceId: string | null, userIdentity: string | null, modifier: string | null, creator: string | null, group: string | null, usage: number | null, outputCnt: number | null, maxOutputCnt: number | null, hyperParameters: { nEpochs: number | null, batchSize: number | null, maxLength: number | null, learningRate: number | null, lrSchedulerType: string | null, split: number | null, raw: unknown } | null };

export type JobsWithDetailsQueryVariables = Exact<{
  page?: PageInput | null | undefined;
}>;


export type JobsWithDetailsQuery = { fineTunes:
    | { __typename: 'AuthenticationError' }
    | { __typename: 'InvalidParameterError' }
    | { __typename: 'JobConnection', nodes: Array<{ id: string, status: FineTuneStatus }> }
    | { __typename: 'ThrottlingError' }
    | { __typename: 'UpstreamError' }
  , first:
    | { __typename: 'AuthenticationError' }
    | { __typename: 'FineTuneJob', id: string, status: FineTuneStatus }
    | { __typename: 'InvalidParameterError' }
    | { __typename: 'NotFoundError' }
    | { __typename: 'ThrottlingError' }
    | { __typename: 'UpstreamError' }
   };

export type CreateJobMutationVariables = Exact<{
  input: CreateFineTuneInput;
}>;


export type CreateJobMutation = { createFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'ConflictError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, jobName: string | null, status: FineTuneStatus, rawStatus: string, model: string, trainingFileIds: Array<string>, validationFileIds: Array<string>, trainingType: string | null, isTerminal: boolean, createTime: string | null, hyperParameters: { raw: unknown } | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null, retryAfter: number | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type CancelJobMutationVariables = Exact<{
  id: string;
}>;


export type CancelJobMutation = { cancelFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneJob', id: string, status: FineTuneStatus, rawStatus: string, isTerminal: boolean, endTime: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type DeleteJobMutationVariables = Exact<{
  id: string;
}>;


export type DeleteJobMutation = { deleteFineTune:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'DeletedFineTuneJob', id: string }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export type ExportCheckpointMutationVariables = Exact<{
  input: ExportCheckpointInput;
}>;


export type ExportCheckpointMutation = { exportFineTuneCheckpoint:
    | { __typename: 'AuthenticationError', message: string, code: string, requestId: string | null }
    | { __typename: 'FineTuneCheckpoint', id: string, step: number | null, status: string, checkpoint: string | null, modelName: string | null, fullName: string | null }
    | { __typename: 'InvalidParameterError', message: string, code: string, requestId: string | null, argument: string | null }
    | { __typename: 'NotFoundError', message: string, code: string, requestId: string | null }
    | { __typename: 'ThrottlingError', message: string, code: string, requestId: string | null, retryAfter: number | null }
    | { __typename: 'UnsupportedOperationError', message: string, code: string, requestId: string | null }
    | { __typename: 'UpstreamError', message: string, code: string, requestId: string | null, httpStatus: number | null }
   };

export const JobFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"finetunedOutput"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"baseModel"}},{"kind":"Field","name":{"kind":"Name","value":"trainingFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"validationFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"hyperParameters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nEpochs"}},{"kind":"Field","name":{"kind":"Name","value":"batchSize"}},{"kind":"Field","name":{"kind":"Name","value":"maxLength"}},{"kind":"Field","name":{"kind":"Name","value":"learningRate"}},{"kind":"Field","name":{"kind":"Name","value":"lrSchedulerType"}},{"kind":"Field","name":{"kind":"Name","value":"split"}},{"kind":"Field","name":{"kind":"Name","value":"raw"}}]}},{"kind":"Field","name":{"kind":"Name","value":"trainingType"}},{"kind":"Field","name":{"kind":"Name","value":"createTime"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"workspaceId"}},{"kind":"Field","name":{"kind":"Name","value":"userIdentity"}},{"kind":"Field","name":{"kind":"Name","value":"modifier"}},{"kind":"Field","name":{"kind":"Name","value":"creator"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"usage"}},{"kind":"Field","name":{"kind":"Name","value":"outputCnt"}},{"kind":"Field","name":{"kind":"Name","value":"maxOutputCnt"}}]}}]} as unknown as DocumentNode<JobFieldsFragment, unknown>;
export const JobLogsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobLogs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"logs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"offset"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}}]}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}}]} as unknown as DocumentNode<JobLogsQuery, JobLogsQueryVariables>;
export const JobCheckpointsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobCheckpoints"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoints"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}},{"kind":"Field","name":{"kind":"Name","value":"modelName"}},{"kind":"Field","name":{"kind":"Name","value":"fullName"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}}]}}]}}]} as unknown as DocumentNode<JobCheckpointsQuery, JobCheckpointsQueryVariables>;
export const TailJobLogsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"TailJobLogs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTuneLogs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"offset"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}}]}}]}}]} as unknown as DocumentNode<TailJobLogsSubscription, TailJobLogsSubscriptionVariables>;
export const WatchJobStatusDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"WatchJobStatus"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTuneStatus"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"finetunedOutput"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThrottlingError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<WatchJobStatusSubscription, WatchJobStatusSubscriptionVariables>;
export const JobsPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"page"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"PageInput"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTunes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}},{"kind":"Argument","name":{"kind":"Name","value":"page"},"value":{"kind":"Variable","name":{"kind":"Name","value":"page"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"JobConnection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageNumber"}},{"kind":"Field","name":{"kind":"Name","value":"pageSize"}},{"kind":"Field","name":{"kind":"Name","value":"totalPages"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThrottlingError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<JobsPageQuery, JobsPageQueryVariables>;
export const JobByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"JobFields"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThrottlingError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"JobFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"finetunedOutput"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"baseModel"}},{"kind":"Field","name":{"kind":"Name","value":"trainingFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"validationFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"hyperParameters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nEpochs"}},{"kind":"Field","name":{"kind":"Name","value":"batchSize"}},{"kind":"Field","name":{"kind":"Name","value":"maxLength"}},{"kind":"Field","name":{"kind":"Name","value":"learningRate"}},{"kind":"Field","name":{"kind":"Name","value":"lrSchedulerType"}},{"kind":"Field","name":{"kind":"Name","value":"split"}},{"kind":"Field","name":{"kind":"Name","value":"raw"}}]}},{"kind":"Field","name":{"kind":"Name","value":"trainingType"}},{"kind":"Field","name":{"kind":"Name","value":"createTime"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"workspaceId"}},{"kind":"Field","name":{"kind":"Name","value":"userIdentity"}},{"kind":"Field","name":{"kind":"Name","value":"modifier"}},{"kind":"Field","name":{"kind":"Name","value":"creator"}},{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"usage"}},{"kind":"Field","name":{"kind":"Name","value":"outputCnt"}},{"kind":"Field","name":{"kind":"Name","value":"maxOutputCnt"}}]}}]} as unknown as DocumentNode<JobByIdQuery, JobByIdQueryVariables>;
export const JobsWithDetailsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"JobsWithDetails"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"page"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"PageInput"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fineTunes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"page"},"value":{"kind":"Variable","name":{"kind":"Name","value":"page"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"JobConnection"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"first"},"name":{"kind":"Name","value":"fineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"StringValue","value":"ft-202410291653-1c7f","block":false}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<JobsWithDetailsQuery, JobsWithDetailsQueryVariables>;
export const CreateJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateFineTuneInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobName"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"model"}},{"kind":"Field","name":{"kind":"Name","value":"trainingFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"validationFileIds"}},{"kind":"Field","name":{"kind":"Name","value":"trainingType"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"createTime"}},{"kind":"Field","name":{"kind":"Name","value":"hyperParameters"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"raw"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThrottlingError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<CreateJobMutation, CreateJobMutationVariables>;
export const CancelJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"rawStatus"}},{"kind":"Field","name":{"kind":"Name","value":"isTerminal"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<CancelJobMutation, CancelJobMutationVariables>;
export const DeleteJobDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteFineTune"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DeletedFineTuneJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<DeleteJobMutation, DeleteJobMutationVariables>;
export const ExportCheckpointDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ExportCheckpoint"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ExportCheckpointInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"exportFineTuneCheckpoint"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"FineTuneCheckpoint"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"step"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"checkpoint"}},{"kind":"Field","name":{"kind":"Name","value":"modelName"}},{"kind":"Field","name":{"kind":"Name","value":"fullName"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InvalidParameterError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"argument"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThrottlingError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UpstreamError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}}]}}]}}]}}]} as unknown as DocumentNode<ExportCheckpointMutation, ExportCheckpointMutationVariables>;