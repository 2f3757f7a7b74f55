import type { Context } from '../context.js';
import { requireCredential, requireLoaders } from '../context.js';
import { NotFoundError, UpstreamError } from '../errors.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import { type ListQuery, assertValidListQuery } from '../upstream/job-path.js';
import { builder } from './builder.js';
import { UPSTREAM_FIELD_ERRORS } from './errors.js';
import { FineTuneJobRef } from './job.js';
import { PageInfoRef, type PageInfoShape } from './page-info.js';

/** One page of jobs as the resolvers below see it. */
interface JobPage {
  jobs: FineTuneJob[];
  /** Absolute offset of the first job: cursors are positions in the filtered list. */
  offset: number;
  totalCount: number;
  pageNumber: number;
  pageSize: number;
}

interface JobEdge {
  cursor: string;
  node: FineTuneJob;
}

export const DEFAULT_PAGE_SIZE = 10;

/** Opaque to clients; today the absolute position of the job in the filtered list. */
export function encodeCursor(position: number): string {
  return Buffer.from(`job:${position}`, 'utf8').toString('base64url');
}

const PageInput = builder.inputType('PageInput', {
  description: 'Which page of the list to fetch. Page numbers start at 1.',
  fields: (t) => ({
    number: t.int({ required: false, defaultValue: 1, description: 'The page number, 1 or more. @default 1' }),
    size: t.int({
      required: false,
      defaultValue: DEFAULT_PAGE_SIZE,
      description: 'Jobs per page, 1 to 100. @default 10',
    }),
  }),
});

/** The jobs page's place in the whole list. */
function pageInfoOf(page: JobPage): PageInfoShape {
  return {
    hasNextPage: page.pageNumber * page.pageSize < page.totalCount,
    hasPreviousPage: page.pageNumber > 1,
    startCursor: page.jobs.length > 0 ? encodeCursor(page.offset) : null,
    endCursor: page.jobs.length > 0 ? encodeCursor(page.offset + page.jobs.length - 1) : null,
  };
}

const JobEdgeRef = builder.objectRef<JobEdge>('JobEdge').implement({
  description: 'A job and its position in the list.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'An opaque position marker.' }),
    node: t.expose('node', { type: FineTuneJobRef, description: 'The job.' }),
  }),
});

const JobConnectionRef = builder.objectRef<JobPage>('JobConnection').implement({
  description: 'One page of fine-tuning jobs, newest first.',
  fields: (t) => ({
    nodes: t.field({ type: [FineTuneJobRef], description: 'The jobs on this page.', resolve: (page) => page.jobs }),
    edges: t.field({
      type: [JobEdgeRef],
      description: 'The jobs on this page with their cursors.',
      resolve: (page) => page.jobs.map((node, index) => ({ cursor: encodeCursor(page.offset + index), node })),
    }),
    pageInfo: t.field({ type: PageInfoRef, description: 'Paging information.', resolve: pageInfoOf }),
    totalCount: t.exposeInt('totalCount', { description: 'Jobs in the whole (filtered) list.' }),
    pageNumber: t.exposeInt('pageNumber', { description: 'This page number, from 1.' }),
    pageSize: t.exposeInt('pageSize', { description: 'The page size asked for.' }),
    totalPages: t.int({
      description: 'Pages in the whole list at this page size.',
      resolve: (page) => Math.ceil(page.totalCount / page.pageSize),
    }),
  }),
});

builder.queryField('fineTunes', (t) =>
  t.field({
    type: JobConnectionRef,
    description: 'Fine-tuning jobs of the account, newest first, one page at a time (DashScope `GET /api/v1/fine-tunes`).',
    args: {
      model: t.arg.string({ required: false, description: 'Only jobs based on this model id, e.g. `qwen3-14b`.' }),
      page: t.arg({ type: PageInput, required: false, description: 'Which page; defaults to page 1 of 10 jobs.' }),
    },
    errors: {
      types: UPSTREAM_FIELD_ERRORS,
      union: {
        name: 'FineTunesResult',
        description:
          'A page of jobs, or why there is none. Select `... on JobConnection` for the data and `... on Error` for every failure.',
      },
    },
    resolve: async (_root, args, context) => {
      const query: ListQuery = {
        pageNumber: args.page?.number ?? 1,
        pageSize: args.page?.size ?? DEFAULT_PAGE_SIZE,
        model: args.model ?? null,
      };
      assertValidListQuery(query);
      return loadPage(query, context);
    },
  }),
);

async function loadPage(query: ListQuery, context: Context): Promise<JobPage> {
  const credential = requireCredential(context);
  let page;
  try {
    page = await context.client.listJobs(query, credential, context.deadline.signal(), context.recorder);
  } catch (error) {
    // A 404 on the list endpoint is not "your job is missing": the list union has no NotFoundError.
    if (error instanceof NotFoundError) {
      throw new UpstreamError(error.message, error.code, error.requestId, 404);
    }
    throw error;
  }
  const loader = requireLoaders(context).job;
  const jobs: FineTuneJob[] = [];
  for (const job of page.jobs) {
    // Later `fineTune(id)` fields in the same operation reuse what this page already fetched.
    loader.prime(job.id, job);
    jobs.push(job);
  }
  const pageNumber = query.pageNumber;
  const pageSize = query.pageSize;
  return {
    jobs,
    offset: (pageNumber - 1) * pageSize,
    totalCount: page.total ?? (pageNumber - 1) * pageSize + jobs.length,
    pageNumber,
    pageSize,
  };
}
