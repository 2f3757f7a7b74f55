import { requireCredential } from '../context.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { LogLine } from '../model/fine-tune-log.js';
import { MAX_LOG_LINES, assertValidLogRange } from '../upstream/job-path.js';
import { builder } from './builder.js';
import { toFieldError } from './errors.js';
import { FineTuneJobRef } from './job.js';
import { encodeLogCursor, positionAfter } from './log-cursor.js';
import { PageInfoRef, type PageInfoShape } from './page-info.js';

/** One read of a job's log as the types below see it. */
interface LogConnection {
  lines: LogLine[];
  /** Position of the first line. */
  offset: number;
  total: number | null;
  first: number;
}

export const DEFAULT_LOG_LINES = 100;

export const FineTuneLogLineRef = builder.objectRef<LogLine>('FineTuneLogLine').implement({
  description: "One line of a job's training log, exactly as the upstream wrote it.",
  fields: (t) => ({
    offset: t.exposeInt('offset', {
      description: "The line's 0-based position in the job's log (the upstream `offset` that starts at this line).",
    }),
    text: t.exposeString('text', { description: 'The raw line, e.g. `2024-10-29 17:11:24,689 - INFO - finetune-job succeeded`.' }),
    cursor: t.string({
      description:
        "This line's cursor (the same as its edge's): pass it as `after` to `logs` or `fineTuneLogs` to continue after this line.",
      resolve: (line) => encodeLogCursor(line.offset),
    }),
  }),
});

const FineTuneLogEdgeRef = builder.objectRef<LogLine>('FineTuneLogEdge').implement({
  description: 'A log line and its cursor.',
  fields: (t) => ({
    cursor: t.string({ description: 'An opaque position marker.', resolve: (line) => encodeLogCursor(line.offset) }),
    node: t.field({ type: FineTuneLogLineRef, description: 'The line.', resolve: (line) => line }),
  }),
});

function pageInfoOf(page: LogConnection): PageInfoShape {
  const last = page.lines.at(-1);
  return {
    hasNextPage: page.total !== null ? page.offset + page.lines.length < page.total : page.lines.length === page.first,
    hasPreviousPage: page.offset > 0,
    startCursor: page.lines.length > 0 ? encodeLogCursor(page.offset) : null,
    endCursor: last === undefined ? null : encodeLogCursor(last.offset),
  };
}

const FineTuneLogConnectionRef = builder.objectRef<LogConnection>('FineTuneLogConnection').implement({
  description:
    "Lines of a job's training log, oldest first. The log grows while the job runs: `after: pageInfo.endCursor` later returns the lines written since.",
  fields: (t) => ({
    edges: t.field({
      type: [FineTuneLogEdgeRef],
      description: 'The lines with their cursors. `@stream` sends them as they are ready.',
      resolve: (page) => page.lines,
    }),
    pageInfo: t.field({ type: PageInfoRef, description: 'Paging information.', resolve: pageInfoOf }),
    totalCount: t.int({
      nullable: true,
      description: 'Lines in the whole log so far (`output.total`); null when the upstream did not say.',
      resolve: (page) => page.total,
    }),
  }),
});

builder.objectField(FineTuneJobRef, 'logs', (t) =>
  t.field({
    type: FineTuneLogConnectionRef,
    nullable: true,
    description: `The job's training log (DashScope \`GET /api/v1/fine-tunes/{job_id}/logs\`), \`first\` lines after \`after\`: one upstream call. Errors (e.g. \`NotFound\`, \`Throttling\`) come in \`errors[]\` with \`extensions.code\` and \`extensions.requestId\`, and the field is null; a bad \`first\` or \`after\` is refused (\`InvalidParameter\`) without an upstream call.`,
    args: {
      first: t.arg.int({
        required: false,
        defaultValue: DEFAULT_LOG_LINES,
        description: `Lines to return, 1 to ${MAX_LOG_LINES}. @default ${DEFAULT_LOG_LINES}`,
      }),
      after: t.arg.string({ required: false, description: 'Start after this line: a `cursor` from an earlier page or a live tail.' }),
    },
    resolve: async (job: FineTuneJob, args, context) => {
      try {
        const range = { offset: positionAfter(args.after), line: args.first ?? DEFAULT_LOG_LINES };
        assertValidLogRange(range);
        const credential = requireCredential(context);
        const page = await context.client.getJobLogs(job.id, range, credential, context.deadline.signal, context.recorder);
        return {
          lines: page.lines.map((text, index) => ({ offset: page.offset + index, text })),
          offset: page.offset,
          total: page.total,
          first: range.line,
        };
      } catch (error) {
        throw toFieldError(error);
      }
    },
  }),
);
