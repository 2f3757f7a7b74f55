import { requireCredential } from '../context.js';
import type { LogLine } from '../model/fine-tune-log.js';
import { builder } from './builder.js';
import { toFieldError } from './errors.js';
import { assertValidJobId } from './job-id.js';
import { FineTuneLogLineRef } from './job-logs.js';
import { positionAfter } from './log-cursor.js';

/** What ended a tail early: sent as the stream's last event, an error in `errors[]`. */
class TailFailure {
  constructor(readonly error: unknown) {}
}

/** The tail's lines, then its failure (if any) as one more event: the stream then completes. */
async function* withFailureAsEvent(lines: AsyncIterableIterator<LogLine>): AsyncGenerator<LogLine | TailFailure> {
  try {
    yield* lines;
  } catch (error) {
    yield new TailFailure(error);
  }
}

builder.subscriptionField('fineTuneLogs', (t) =>
  t.field({
    type: FineTuneLogLineRef,
    description:
      "Tails one job's training log: every line after `after` (from the first line without it), each once and in order, as the job writes them; completes when the job has ended (SUCCEEDED, FAILED, CANCELED) and its last line was sent, at once for a job that already ended. The gateway polls the upstream (`DASHSCOPE_POLL_INTERVAL_MS`) once per job and credential, however many clients tail it. A failure (`NotFound`, an upstream that keeps failing…) is sent as an event with `errors[]` (`extensions.code`, `extensions.requestId`), then the stream completes; a bad `id` or `after` is refused without an upstream call. To resume after a disconnect, pass the last line's `cursor` as `after`.",
    args: {
      id: t.arg.id({ required: true, description: 'The job id (`job_id`), e.g. `ft-202410291653-1c7f`.' }),
      after: t.arg.string({ required: false, description: 'Start after this line: a `cursor` from `logs` or from this stream.' }),
    },
    subscribe: (_root, { id, after }, context) => {
      try {
        assertValidJobId(id);
        const from = positionAfter(after);
        const credential = requireCredential(context);
        return withFailureAsEvent(context.logTail.tail(id, from, credential, context.requestSignal()));
      } catch (error) {
        throw toFieldError(error);
      }
    },
    resolve: (event: LogLine | TailFailure) => {
      if (event instanceof TailFailure) throw toFieldError(event.error);
      return event;
    },
  }),
);
