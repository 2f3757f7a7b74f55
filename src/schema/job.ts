import { InvalidParameterError, NotFoundError } from '../errors.js';
import { FINE_TUNE_STATUSES, type FineTuneJob, type HyperParameters } from '../model/fine-tune-job.js';
import { assertValidJobId } from './job-id.js';
import { requireLoaders } from '../context.js';
import { builder } from './builder.js';
import { UPSTREAM_FIELD_ERRORS, toEntityError } from './errors.js';
import { NodeInterface } from './node.js';

const STATUS_DESCRIPTIONS: Record<(typeof FINE_TUNE_STATUSES)[number], string> = {
  PENDING: 'Created, waiting to start.',
  QUEUING: 'Waiting in the queue for resources.',
  RUNNING: 'Training.',
  CANCELING: 'A cancel was requested and is being carried out.',
  SUCCEEDED: 'Finished; `finetunedOutput` names the resulting model. Terminal.',
  FAILED: 'Finished without a model. Terminal.',
  CANCELED: 'Canceled before it finished. Terminal.',
  SUSPENDED: 'Paused by the platform.',
  UNKNOWN: 'A status this gateway does not know; `rawStatus` has the upstream value.',
};

export const FineTuneStatusEnum = builder.enumType('FineTuneStatus', {
  description: 'The state of a fine-tuning job. The upstream set is open: unknown values map to `UNKNOWN`.',
  values: Object.fromEntries(FINE_TUNE_STATUSES.map((status) => [status, { description: STATUS_DESCRIPTIONS[status] }])),
});

export const HyperParametersRef = builder.objectRef<HyperParameters>('HyperParameters').implement({
  description: 'The hyper-parameters that were explicitly specified for the job.',
  fields: (t) => ({
    nEpochs: t.exposeInt('nEpochs', { nullable: true, description: 'Training epochs (`n_epochs`).' }),
    batchSize: t.exposeInt('batchSize', { nullable: true, description: 'Batch size (`batch_size`).' }),
    maxLength: t.exposeInt('maxLength', { nullable: true, description: 'Maximum sequence length in tokens (`max_length`).' }),
    learningRate: t.exposeFloat('learningRate', {
      nullable: true,
      description: 'Learning rate (`learning_rate`; the upstream sends it as a string such as "1.6e-5").',
    }),
    lrSchedulerType: t.exposeString('lrSchedulerType', {
      nullable: true,
      description: 'Learning-rate scheduler (`lr_scheduler_type`), e.g. `linear`.',
    }),
    split: t.exposeFloat('split', { nullable: true, description: 'Share of the data used for training (`split`), e.g. 0.9.' }),
    raw: t.expose('raw', {
      type: 'JSON',
      description: 'Every hyper-parameter exactly as the upstream sent it, including undocumented keys.',
    }),
  }),
});

export const FineTuneJobRef = builder.objectRef<FineTuneJob>('FineTuneJob').implement({
  description: 'A fine-tuning job (DashScope `GET /api/v1/fine-tunes/{job_id}`).',
  interfaces: [NodeInterface],
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }),
    jobName: t.exposeString('jobName', { nullable: true, description: 'The job name (`job_name`); usually the same as the id.' }),
    status: t.expose('status', { type: FineTuneStatusEnum, description: 'The current status; unknown upstream values map to `UNKNOWN`.' }),
    rawStatus: t.exposeString('rawStatus', { description: 'The status exactly as the upstream sent it.' }),
    finetunedOutput: t.exposeString('finetunedOutput', {
      nullable: true,
      description: 'The id of the resulting fine-tuned model (`finetuned_output`); only when SUCCEEDED.',
    }),
    model: t.exposeString('model', { description: 'The model id used for the job (`model`).' }),
    baseModel: t.exposeString('baseModel', { nullable: true, description: 'The id of the base model that was fine-tuned (`base_model`).' }),
    trainingFileIds: t.exposeStringList('trainingFileIds', { description: 'Training file ids (`training_file_ids`).' }),
    validationFileIds: t.exposeStringList('validationFileIds', { description: 'Validation file ids (`validation_file_ids`).' }),
    hyperParameters: t.expose('hyperParameters', {
      type: HyperParametersRef,
      nullable: true,
      description: 'The hyper-parameters explicitly specified for the job (`hyper_parameters`).',
    }),
    trainingType: t.exposeString('trainingType', { nullable: true, description: 'The fine-tuning method (`training_type`), e.g. `sft`.' }),
    createTime: t.exposeString('createTime', {
      nullable: true,
      description: 'Creation time exactly as the upstream gives it (`create_time`, no zone), e.g. `2024-10-29 16:53:53`.',
    }),
    endTime: t.exposeString('endTime', {
      nullable: true,
      description: 'End time as the upstream gives it (`end_time`); only when SUCCEEDED, FAILED or CANCELED.',
    }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      nullable: true,
      description: '`createTime` read in `DASHSCOPE_UTC_OFFSET`, as ISO-8601 with that offset.',
    }),
    endedAt: t.expose('endedAt', {
      type: 'DateTime',
      nullable: true,
      description: '`endTime` read in `DASHSCOPE_UTC_OFFSET`, as ISO-8601 with that offset.',
    }),
    durationSeconds: t.exposeInt('durationSeconds', {
      nullable: true,
      description: '`endedAt - createdAt` in whole seconds; null while the job has no end time.',
    }),
    isTerminal: t.exposeBoolean('isTerminal', { description: 'True for SUCCEEDED, FAILED and CANCELED: the job will not change again.' }),
    workspaceId: t.exposeString('workspaceId', { nullable: true, description: 'The workspace the job belongs to (`workspace_id`).' }),
    userIdentity: t.exposeString('userIdentity', {
      nullable: true,
      description: 'The UID of the primary account that owns the job (`user_identity`).',
    }),
    modifier: t.exposeString('modifier', {
      nullable: true,
      description: 'The UID of the account that last modified the job (`modifier`), e.g. a sub-account that canceled it.',
    }),
    creator: t.exposeString('creator', { nullable: true, description: 'The UID of the user who created the job (`creator`).' }),
    group: t.exposeString('group', { nullable: true, description: 'The task type of the job (`group`), e.g. `llm`.' }),
    usage: t.exposeInt('usage', {
      nullable: true,
      description: 'Tokens consumed by the job (`usage`); only when SUCCEEDED or CANCELED.',
    }),
    outputCnt: t.exposeInt('outputCnt', {
      nullable: true,
      description: 'Checkpoints the job produced (`output_cnt`); only for multi-checkpoint models such as cosyvoice-v3-flash.',
    }),
    maxOutputCnt: t.exposeInt('maxOutputCnt', {
      nullable: true,
      description: 'The most checkpoints one job may produce (`max_output_cnt`); only for multi-checkpoint models.',
    }),
  }),
});

/**
 * The errors option of every field answering `FineTuneResult` (the `fineTune` query, the
 * `fineTuneStatus` subscription). With `directResult` the errors plugin builds one union per
 * `result.name`, so the fields sharing this object share the one union type.
 */
export const FINE_TUNE_RESULT = {
  types: [NotFoundError, ...UPSTREAM_FIELD_ERRORS],
  union: {
    name: 'FineTuneResult',
    description: 'A job, or why there is none. Select `... on FineTuneJob` for the data and `... on Error` for every failure.',
  },
  result: { name: 'FineTuneResult' },
};

builder.queryField('fineTune', (t) =>
  t.field({
    type: FineTuneJobRef,
    description: 'One fine-tuning job by id. Duplicate ids in one operation (aliases) cost one upstream call each distinct id.',
    args: {
      id: t.arg.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }),
    },
    errors: FINE_TUNE_RESULT,
    resolve: (_root, { id }, context) => {
      assertValidJobId(id);
      return requireLoaders(context).job.load(id);
    },
  }),
);

/**
 * The supergraph's handle on a job: other subgraphs reference `FineTuneJob` by `id` and the router
 * asks `_entities` for the fields this subgraph owns.
 */
builder.asEntity(FineTuneJobRef, {
  key: builder.selection<{ id: string }>('id'),
  // A router sends every representation of one fetch in one `_entities` call and this runs for all
  // of them in the same tick, so the request's DataLoader makes one GET per distinct id.
  resolveReference: async (representation, context) => {
    try {
      const { id } = representation as { id: unknown };
      if (typeof id !== 'string') {
        throw new InvalidParameterError('A FineTuneJob representation needs a string "id".', 'InvalidParameter', null, 'id');
      }
      assertValidJobId(id);
      return await requireLoaders(context).job.load(id);
    } catch (error) {
      // Rejecting (never throwing synchronously) fails only this representation: null at `_entities.N`.
      throw toEntityError(error);
    }
  },
});
