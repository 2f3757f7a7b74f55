import { requireCredential } from '../context.js';
import { assertValidJobId } from './job-id.js';
import { builder } from './builder.js';
import { FINE_TUNE_RESULT, FineTuneJobRef } from './job.js';

builder.subscriptionField('fineTuneStatus', (t) =>
  t.field({
    type: FineTuneJobRef,
    description:
      'Follows one job: emits it now, then again whenever its status changes, and completes after a terminal status (SUCCEEDED, FAILED, CANCELED). An error (e.g. NotFoundError) is emitted as data, then the stream completes. The gateway polls the upstream (`DASHSCOPE_POLL_INTERVAL_MS`) once per job and credential, however many clients watch it, and backs off while throttled.',
    args: {
      id: t.arg.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }),
    },
    errors: FINE_TUNE_RESULT,
    subscribe: (_root, { id }, context) => {
      // Thrown here, these become the stream's one event (the errors plugin wraps them).
      assertValidJobId(id);
      const credential = requireCredential(context);
      return context.jobStatus.watch(id, credential, context.requestSignal());
    },
    // Errors that end the stream are turned into the union's error members by the errors plugin.
    resolve: (job) => job,
  }),
);
