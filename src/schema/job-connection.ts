import type { Context } from '../context.js';
import { requireCredential, requireLoaders } from '../context.js';
import { InvalidParameterError } from '../errors.js';
import { type ListEdge, type ListRequest, type ListSlice, readJobList } from '../loaders/job-list-paging.js';
import { MAX_PAGE_SIZE, assertValidModelFilter } from '../upstream/job-path.js';
import { builder } from './builder.js';
import { DEFAULT_PAGE_SIZE } from './connection.js';
import { PageInfoRef } from './page-info.js';
import { toFieldError } from './errors.js';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.js';
import { FineTuneJobRef } from './job.js';

/** One answer of `fineTuneJobs`, with the filter its cursors are bound to. */
interface JobSlice extends ListSlice {
  model: string | null;
}

interface JobSliceEdge {
  edge: ListEdge;
  model: string | null;
}

const FineTuneJobEdgeRef = builder.objectRef<JobSliceEdge>('FineTuneJobEdge').implement({
  description: 'A job and the cursor to continue the list from it.',
  fields: (t) => ({
    cursor: t.string({
      description: 'Opaque; pass it as `after` (or `before`) to continue the list right after (before) this job.',
      resolve: ({ edge, model }) => encodeJobCursor(edge.anchor, model),
    }),
    node: t.field({ type: FineTuneJobRef, description: 'The job.', resolve: ({ edge }) => edge.job }),
  }),
});

const FineTuneJobConnectionRef = builder.objectRef<JobSlice>('FineTuneJobConnection').implement({
  description:
    'Fine-tuning jobs, newest first, as a Relay cursor connection. Cursors stay valid while jobs are created or deleted upstream: continuing from one never repeats or skips a job.',
  fields: (t) => ({
    edges: t.field({
      type: [FineTuneJobEdgeRef],
      description: 'The jobs of this page with their cursors.',
      resolve: (slice) => slice.edges.map((edge) => ({ edge, model: slice.model })),
    }),
    pageInfo: t.field({
      type: PageInfoRef,
      description: 'Paging information: `endCursor` continues forwards (`after`), `startCursor` backwards (`before`).',
      resolve: (slice) => {
        const first = slice.edges[0];
        const last = slice.edges.at(-1);
        return {
          hasNextPage: slice.hasNextPage,
          hasPreviousPage: slice.hasPreviousPage,
          startCursor: first === undefined ? null : encodeJobCursor(first.anchor, slice.model),
          endCursor: last === undefined ? null : encodeJobCursor(last.anchor, slice.model),
        };
      },
    }),
    totalCount: t.exposeInt('totalCount', { description: 'Jobs in the whole (filtered) list, as the upstream counted them just now.' }),
  }),
});

builder.queryField('fineTuneJobs', (t) =>
  t.field({
    type: FineTuneJobConnectionRef,
    nullable: true,
    description: `Fine-tuning jobs of the account, newest first, as a Relay connection (\`@connection\`, Apollo's \`relayStylePagination()\`). Page forwards with \`first\`/\`after\` or backwards with \`last\`/\`before\` (1 to ${MAX_PAGE_SIZE}; \`first: ${DEFAULT_PAGE_SIZE}\` when neither is given). Cursors survive jobs created or deleted upstream between two requests. Failures answer null with an error in \`errors[]\` whose \`extensions\` carry \`code\` (\`InvalidParameter\`, \`InvalidCursor\`, \`StaleCursor\`, or the upstream's, e.g. \`Throttling.RateQuota\`) and \`requestId\`.`,
    args: {
      model: t.arg.string({ required: false, description: 'Only jobs based on this model id, e.g. `qwen3-14b`.' }),
      first: t.arg.int({ required: false, description: `Jobs after \`after\` (or from the newest), 1 to ${MAX_PAGE_SIZE}.` }),
      after: t.arg.string({ required: false, description: 'A cursor of this list (`pageInfo.endCursor`): continue right after its job.' }),
      last: t.arg.int({ required: false, description: `Jobs before \`before\` (or the oldest), 1 to ${MAX_PAGE_SIZE}.` }),
      before: t.arg.string({
        required: false,
        description: 'A cursor of this list (`pageInfo.startCursor`): continue right before its job.',
      }),
    },
    resolve: async (_root, args, context) => {
      try {
        const model = args.model ?? null;
        assertValidModelFilter(model);
        const request = listRequest(args, model);
        const slice = await readJobList((pageNumber, pageSize) => readPage(context, model, pageNumber, pageSize), request);
        // Later `fineTune(id)` / `node(id)` fields of the same operation reuse the jobs listed here.
        const loader = requireLoaders(context).job;
        for (const edge of slice.edges) loader.prime(edge.job.id, edge.job);
        return { ...slice, model };
      } catch (error) {
        throw toFieldError(error);
      }
    },
  }),
);

interface ConnectionArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}

/** The arguments as one request, checked before any upstream call. */
function listRequest(args: ConnectionArgs, model: string | null): ListRequest {
  const { first, after, last, before } = args;
  const backward = (last ?? null) !== null || (before ?? null) !== null;
  if (backward && ((first ?? null) !== null || (after ?? null) !== null)) {
    throw new InvalidParameterError(
      'Page forwards with `first`/`after` or backwards with `last`/`before`, not both in one request.',
      'InvalidParameter',
      null,
      (first ?? null) !== null ? 'first' : 'after',
    );
  }
  if (backward) {
    return {
      direction: 'backward',
      count: checkCount(last ?? DEFAULT_PAGE_SIZE, 'last'),
      before: (before ?? null) === null ? null : decodeJobCursor(before as string, model, 'before'),
    };
  }
  return {
    direction: 'forward',
    count: checkCount(first ?? DEFAULT_PAGE_SIZE, 'first'),
    after: (after ?? null) === null ? null : decodeJobCursor(after as string, model, 'after'),
  };
}

function checkCount(count: number, argument: 'first' | 'last'): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE_SIZE) {
    throw new InvalidParameterError(
      `Argument "${argument}" must be between 1 and ${MAX_PAGE_SIZE} (got ${count}).`,
      'InvalidParameter',
      null,
      argument,
    );
  }
  return count;
}

function readPage(context: Context, model: string | null, pageNumber: number, pageSize: number) {
  return context.client.listJobs({ pageNumber, pageSize, model }, requireCredential(context), context.deadline.signal(), context.recorder);
}
