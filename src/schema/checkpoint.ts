import { requireCredential } from '../context.js';
import type { FineTuneCheckpoint } from '../model/fine-tune-checkpoint.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import { builder } from './builder.js';
import { toFieldError } from './errors.js';
import { FineTuneJobRef } from './job.js';

export const FineTuneCheckpointRef = builder.objectRef<FineTuneCheckpoint>('FineTuneCheckpoint').implement({
  description: 'A checkpoint saved by a fine-tuning job (DashScope `GET /api/v1/fine-tunes/{job_id}/checkpoints`).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The checkpoint id (`checkpoint_id`), e.g. `ft-202605271743-dd2a:checkpoint-00040004`.' }),
    step: t.exposeInt('step', {
      nullable: true,
      description: 'The training step (`step`); for CosyVoice `LM_epoch * 10000 + FM_epoch`.',
    }),
    status: t.exposeString('status', {
      description:
        'As the upstream sent it: `SUCCEEDED` (deployable: `modelName` is set), `PENDING` (not exported yet), `PROCESSING`, `FAILED`, `UNSUPPORTED`.',
    }),
    checkpoint: t.exposeString('checkpoint', {
      nullable: true,
      description: 'The checkpoint name (`checkpoint`), e.g. `checkpoint-160`: what an export names.',
    }),
    modelName: t.exposeString('modelName', { nullable: true, description: 'The deployable model id (`model_name`); only when SUCCEEDED.' }),
    fullName: t.exposeString('fullName', {
      nullable: true,
      description: 'The full name (`full_name`), e.g. `ft-202605271743-dd2a:checkpoint-00040004`.',
    }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      nullable: true,
      description: '`create_time` read in `DASHSCOPE_UTC_OFFSET`, as ISO-8601 with that offset.',
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: '`expire_time` read in `DASHSCOPE_UTC_OFFSET`: when the upstream drops the checkpoint.',
    }),
  }),
});

builder.objectField(FineTuneJobRef, 'checkpoints', (t) =>
  t.field({
    type: [FineTuneCheckpointRef],
    nullable: true,
    description:
      "The job's checkpoints, newest step first (DashScope `GET /api/v1/fine-tunes/{job_id}/checkpoints`): one upstream call. Empty until the job saved one. Errors come in `errors[]` with `extensions.code` and `extensions.requestId`, and the field is null.",
    resolve: async (job: FineTuneJob, _args, context) => {
      try {
        const credential = requireCredential(context);
        return (await context.client.listCheckpoints(job.id, credential, context.deadline.signal, context.recorder)).checkpoints;
      } catch (error) {
        throw toFieldError(error);
      }
    },
  }),
);
