import { requireCredential } from '../context.js';
import type { Context } from '../context.js';
import {
  AuthenticationError,
  ConflictError,
  GatewayError,
  InvalidParameterError,
  NotFoundError,
  ThrottlingError,
  UnsupportedOperationError,
  UpstreamError,
} from '../errors.js';
import type { ActionCall } from '../actions/fine-tune-actions.js';
import { assertValidExportTarget } from '../upstream/job-path.js';
import { builder } from './builder.js';
import { FineTuneCheckpointRef } from './checkpoint.js';
import { FineTuneJobRef } from './job.js';
import { assertValidJobId } from './job-id.js';

builder.mutationType({
  description:
    'The job lifecycle: actions on fine-tuning jobs. POST only (never GET). An action is sent to the upstream at most once: the gateway never repeats one that may have reached it.',
});

/** The error types of each mutation's union, in the contract's order. */
const CREATE_ERRORS = [InvalidParameterError, AuthenticationError, ThrottlingError, ConflictError, UpstreamError];
const CANCEL_ERRORS = [
  NotFoundError,
  UnsupportedOperationError,
  InvalidParameterError,
  AuthenticationError,
  ThrottlingError,
  UpstreamError,
];
const DELETE_ERRORS = CANCEL_ERRORS;
const EXPORT_ERRORS = CANCEL_ERRORS;

type ErrorClass = abstract new (...args: never[]) => GatewayError;

/**
 * An upstream answer outside the field's union becomes the closest member instead of a masked
 * error: on create, a 404 (a file the input names does not exist) or an `UnsupportedOperation` is
 * about the input (`InvalidParameterError`, keeping the upstream's code); a 409 on cancel or delete
 * is an `UpstreamError` with `httpStatus` 409.
 */
function fitToUnion(error: unknown, members: readonly ErrorClass[]): unknown {
  if (!(error instanceof GatewayError) || members.some((member) => error instanceof member)) return error;
  if (members.includes(InvalidParameterError) && (error instanceof NotFoundError || error instanceof UnsupportedOperationError)) {
    return new InvalidParameterError(error.message, error.code, error.requestId, null);
  }
  const httpStatus =
    error instanceof ConflictError ? 409 : error instanceof NotFoundError ? 404 : error instanceof UnsupportedOperationError ? 400 : null;
  return new UpstreamError(error.message, error.code, error.requestId, httpStatus, { cause: error });
}

function actionCall(context: Context): ActionCall {
  return { credential: requireCredential(context), signal: context.deadline.signal, recorder: context.recorder };
}

const CreateFineTuneInput = builder.inputType('CreateFineTuneInput', {
  description:
    "A new fine-tuning job (DashScope `POST /api/v1/fine-tunes`). The gateway checks what cannot be right (ids, training type, hyper-parameter types) before calling the upstream; which model takes which training type and hyper-parameter range is the upstream's call.",
  fields: (t) => ({
    model: t.string({
      required: true,
      description: 'The base model id (`model`), e.g. `qwen3-14b`, or a model an earlier job produced, to train it again.',
    }),
    trainingFileIds: t.stringList({
      required: true,
      description: 'Training file ids from the file API (`training_file_ids`): 1 to 100.',
    }),
    validationFileIds: t.stringList({
      required: false,
      description: 'Validation file ids (`validation_file_ids`); without them a share of the training data is used (`split`).',
    }),
    trainingType: t.string({
      required: false,
      description:
        'The method (`training_type`): `sft`, `efficient_sft` (LoRA), `cpt`, `dpo_full` or `dpo_lora`. Video, image and speech models take `efficient_sft` only. The upstream defaults to `sft`.',
    }),
    jobName: t.string({ required: false, description: 'A display name (`job_name`); the upstream uses the job id when absent.' }),
    hyperParameters: t.field({
      type: 'JSON',
      required: false,
      description:
        'Hyper-parameters as the upstream names them (`hyper_parameters`), e.g. `{"n_epochs": 3, "batch_size": 16, "learning_rate": "1.6e-5"}`. Documented keys are type-checked (integers, numbers or numeric strings, booleans, enums); other keys pass through.',
    }),
    idempotencyKey: t.string({
      required: false,
      description:
        'Makes a retry safe: the same key (per credential) within 24 hours answers the same job, read fresh, and never creates a second one, also when both requests arrive at once. The same key with a different input answers `ConflictError` (`IdempotencyKeyReused`). 1 to 255 visible ASCII characters; use a fresh UUID per job.',
    }),
  }),
});

builder.mutationField('createFineTune', (t) =>
  t.field({
    type: FineTuneJobRef,
    description:
      'Creates a fine-tuning job and answers it as the upstream created it (status PENDING). Sent once: a failure after the request may have reached the upstream is answered as an error, never retried; pass `idempotencyKey` to retry safely yourself.',
    args: { input: t.arg({ type: CreateFineTuneInput, required: true, description: 'The job to create.' }) },
    errors: {
      types: CREATE_ERRORS,
      union: {
        name: 'CreateFineTuneResult',
        description: 'The new job, or why there is none. Select `... on FineTuneJob` for the data and `... on Error` for every failure.',
      },
      result: { name: 'CreateFineTuneResult' },
    },
    resolve: async (_root, { input }, context) => {
      try {
        return await context.actions.create(input, actionCall(context));
      } catch (error) {
        throw fitToUnion(error, CREATE_ERRORS);
      }
    },
  }),
);

builder.mutationField('cancelFineTune', (t) =>
  t.field({
    type: FineTuneJobRef,
    description:
      'Cancels a job that has not finished (DashScope `POST /api/v1/fine-tunes/{job_id}/cancel`) and answers the job read fresh afterwards, usually CANCELING, then CANCELED. `fineTuneStatus` subscribers of the job get it at once. A finished job answers `UnsupportedOperationError`.',
    args: { id: t.arg.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }) },
    errors: {
      types: CANCEL_ERRORS,
      union: {
        name: 'CancelFineTuneResult',
        description: 'The job after the cancel, or why it was not canceled.',
      },
      result: { name: 'CancelFineTuneResult' },
    },
    resolve: async (_root, { id }, context) => {
      try {
        assertValidJobId(id);
        return await context.actions.cancel(id, actionCall(context));
      } catch (error) {
        throw fitToUnion(error, CANCEL_ERRORS);
      }
    },
  }),
);

const DeletedFineTuneJobRef = builder.objectRef<{ id: string }>('DeletedFineTuneJob').implement({
  description: 'A job that was deleted: only its id remains. Remove it from client caches.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The id of the deleted job (`job_id`).' }),
  }),
});

builder.mutationField('deleteFineTune', (t) =>
  t.field({
    type: DeletedFineTuneJobRef,
    description:
      "Deletes a job (DashScope `DELETE /api/v1/fine-tunes/{job_id}`). Which states may be deleted is the upstream's decision (its documentation contradicts itself): a refusal answers `UnsupportedOperationError` with its message. `fineTuneStatus` subscribers of the job learn at once that it is gone.",
    args: { id: t.arg.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }) },
    errors: {
      types: DELETE_ERRORS,
      union: {
        name: 'DeleteFineTuneResult',
        description: "The deleted job's id, or why it was not deleted.",
      },
      result: { name: 'DeleteFineTuneResult' },
    },
    resolve: async (_root, { id }, context) => {
      try {
        assertValidJobId(id);
        return await context.actions.delete(id, actionCall(context));
      } catch (error) {
        throw fitToUnion(error, DELETE_ERRORS);
      }
    },
  }),
);

const ExportCheckpointInput = builder.inputType('ExportCheckpointInput', {
  description:
    'A checkpoint to export as a deployable model (DashScope `GET /api/v1/fine-tunes/{job_id}/export/{checkpoint}?model_name=`). Checked before any upstream call.',
  fields: (t) => ({
    jobId: t.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }),
    checkpoint: t.string({
      required: true,
      description: 'The checkpoint name as `FineTuneJob.checkpoints` shows it (`FineTuneCheckpoint.checkpoint`), e.g. `checkpoint-160`.',
    }),
    modelName: t.string({
      required: true,
      description:
        "The model's display name in the console (`model_name`): letters, digits, `_` and `-`, 1 to 128 characters, unique. Not the id to deploy: that is the checkpoint's `modelName` once it is SUCCEEDED.",
    }),
  }),
});

builder.mutationField('exportFineTuneCheckpoint', (t) =>
  t.field({
    type: FineTuneCheckpointRef,
    description:
      'Exports a checkpoint of a finished job as a deployable model and answers the checkpoint read fresh afterwards (usually PROCESSING; poll `FineTuneJob.checkpoints` until SUCCEEDED, then deploy its `modelName`). Sent once, never retried by the gateway. An export the upstream did not submit answers `UpstreamError` with code `ExportNotSubmitted` (nothing changed: try again); a checkpoint that cannot be exported answers `UnsupportedOperationError`.',
    args: { input: t.arg({ type: ExportCheckpointInput, required: true, description: 'The checkpoint to export.' }) },
    errors: {
      types: EXPORT_ERRORS,
      union: {
        name: 'ExportCheckpointResult',
        description: 'The checkpoint after the export was submitted, or why it was not exported.',
      },
      result: { name: 'ExportCheckpointResult' },
    },
    resolve: async (_root, { input }, context) => {
      try {
        assertValidJobId(input.jobId, 'input.jobId');
        assertValidExportTarget(input);
        return await context.actions.export(input, actionCall(context));
      } catch (error) {
        throw fitToUnion(error, EXPORT_ERRORS);
      }
    },
  }),
);
