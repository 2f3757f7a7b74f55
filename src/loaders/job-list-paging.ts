import { InvalidParameterError } from '../errors.js';
import type { FineTuneJob } from '../model/fine-tune-job.js';
import type { JobPage } from '../upstream/client.js';
import { MAX_PAGE_SIZE } from '../upstream/job-path.js';

/**
 * Cursor paging (`fineTuneJobs`) over the upstream's page-number paging, stable while jobs are
 * created or deleted upstream between two requests.
 *
 * The upstream lists jobs newest first (by `create_time`) in numbered pages. A position in that list
 * moves whenever a job is created (always ahead of every older job) or deleted, so a cursor cannot
 * be a position alone. A cursor here is an anchor: the job's id, its creation time, its rank among
 * jobs created in the same second, its position and the list's length when the cursor was made.
 * The next request reads the upstream page(s) where the anchor was; when the anchor is not there, it
 * re-anchors: the list is ordered, so every job it has seen is either before or after the anchor,
 * and the next page read is the one between the last job seen before it and the first seen after
 * it, as near as possible to where the list's net growth says the anchor now is. The anchor found,
 * the page continues right after it (before it, paging backwards). The anchor deleted, the page
 * continues where it was: between the jobs before and after it. So no job is repeated or skipped.
 *
 * Upstream pages are always `UPSTREAM_PAGE_SIZE` (100) jobs: a page of `first: n` (n <= 100) needs
 * one upstream page, or two when it crosses a multiple of 100, and the anchor moving within those
 * pages costs nothing extra. Finding an anchor that moved further costs at most
 * `MAX_RELOCATE_CALLS` more pages; when that is not enough (the list changed by hundreds of jobs),
 * the field answers a `StaleCursor` error instead of a page that could repeat or skip jobs.
 */

/** Upstream page size of every list call made for cursor paging: the largest the upstream allows. */
export const UPSTREAM_PAGE_SIZE = MAX_PAGE_SIZE;
/** Upstream pages read to find a cursor's job that is no longer where it was. */
export const MAX_RELOCATE_CALLS = 3;

/** Where a job was in the list when its cursor was made. */
export interface ListAnchor {
  /** The job's id. */
  id: string;
  /** Its `create_time` as the upstream gave it (the list's sort key), or null. */
  createTime: string | null;
  /** Jobs just before it in the list with the same `create_time` (ties of one second). */
  rank: number;
  /** Its 0-based position in the (filtered) list. */
  position: number;
  /** The list's length then. */
  total: number;
}

export type ListRequest =
  | { direction: 'forward'; count: number; after: ListAnchor | null }
  | { direction: 'backward'; count: number; before: ListAnchor | null };

export interface ListEdge {
  job: FineTuneJob;
  anchor: ListAnchor;
}

export interface ListSlice {
  edges: ListEdge[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}

/** Reads one upstream page (1-based page number, `UPSTREAM_PAGE_SIZE` jobs). */
export type PageReader = (pageNumber: number, pageSize: number) => Promise<JobPage>;

/** The answer to one cursor request, reading upstream pages through `read`. */
export async function readJobList(read: PageReader, request: ListRequest): Promise<ListSlice> {
  const view = new ListView(read);
  if (request.direction === 'forward') {
    let start = 0;
    if (request.after !== null) {
      const anchor = request.after;
      await view.cover(anchor.position, anchor.position + request.count);
      const found = await relocate(view, anchor, 'after');
      start = found.present ? found.position + 1 : found.position;
    }
    await view.cover(start, start + request.count - 1);
    return view.slice(start, start + request.count);
  }
  let end: number;
  if (request.before !== null) {
    const anchor = request.before;
    await view.cover(Math.max(0, anchor.position - request.count), anchor.position);
    const found = await relocate(view, anchor, 'before');
    end = found.position;
  } else {
    // The end of the list: its length comes with any page.
    await view.load(0);
    end = view.total;
  }
  const start = Math.max(0, end - request.count);
  await view.cover(start, end - 1);
  return view.slice(start, end);
}

/** The pages read so far in this request, by 0-based page index. */
class ListView {
  private readonly pages = new Map<number, readonly FineTuneJob[]>();
  /** The list's length, from the latest page read. */
  total = 0;

  constructor(private readonly read: PageReader) {}

  has(index: number): boolean {
    return this.pages.has(index);
  }

  async load(index: number): Promise<void> {
    if (this.pages.has(index)) return;
    const page = await this.read(index + 1, UPSTREAM_PAGE_SIZE);
    this.pages.set(index, page.jobs);
    // The upstream's count (the latest: the list may change between two pages); never fewer than
    // the jobs this page shows, and without a count, what the page shows is all that is known.
    const seen = page.jobs.length === 0 ? 0 : index * UPSTREAM_PAGE_SIZE + page.jobs.length;
    this.total = Math.max(page.total ?? seen, seen);
  }

  /** Reads the pages holding positions `from..to` (within the list, once its length is known). */
  async cover(from: number, to: number): Promise<void> {
    const first = pageOf(Math.max(0, from));
    await this.load(first);
    const last = pageOf(Math.max(0, Math.min(to, this.total - 1)));
    for (let index = first + 1; index <= last; index += 1) await this.load(index);
  }

  at(position: number): FineTuneJob | undefined {
    return this.pages.get(pageOf(position))?.[position % UPSTREAM_PAGE_SIZE];
  }

  /** Positions read, ascending. */
  *positions(): Generator<number> {
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const jobs = this.pages.get(index) ?? [];
      for (let offset = 0; offset < jobs.length; offset += 1) yield index * UPSTREAM_PAGE_SIZE + offset;
    }
  }

  find(id: string): number | null {
    for (const position of this.positions()) if (this.at(position)?.id === id) return position;
    return null;
  }

  /** Jobs just before `position` with its `create_time`, as far as the pages read show. */
  rankAt(position: number): number {
    const time = this.at(position)?.createTime ?? null;
    let rank = 0;
    for (let before = position - 1; before >= 0; before -= 1) {
      const job = this.at(before);
      if (job === undefined || (job.createTime ?? null) !== time) break;
      rank += 1;
    }
    return rank;
  }

  /** The edges at positions `from` up to (not including) `to`, and where they sit in the list. */
  slice(from: number, to: number): ListSlice {
    const end = Math.min(to, this.total);
    const edges: ListEdge[] = [];
    const ids = new Set<string>();
    for (let position = from; position < end; position += 1) {
      const job = this.at(position);
      // Missing or repeated only when the list changed between two pages of this one request.
      if (job === undefined || ids.has(job.id)) continue;
      ids.add(job.id);
      edges.push({
        job,
        anchor: { id: job.id, createTime: job.createTime, rank: this.rankAt(position), position, total: this.total },
      });
    }
    return { edges, hasPreviousPage: from > 0, hasNextPage: end < this.total, totalCount: this.total };
  }
}

function pageOf(position: number): number {
  return Math.floor(position / UPSTREAM_PAGE_SIZE);
}

/**
 * Where the anchor is now: `present` with its position, or (deleted) the position of the first job
 * after it. Reads at most `MAX_RELOCATE_CALLS` more pages; throws `StaleCursor` beyond that.
 */
async function relocate(view: ListView, anchor: ListAnchor, argument: 'after' | 'before'): Promise<{ present: boolean; position: number }> {
  for (let calls = 0; ; calls += 1) {
    const position = view.find(anchor.id);
    if (position !== null) return { present: true, position };
    // Every job read is before or after the anchor; the list is ordered, so the anchor (or the gap
    // it left) lies between the last one before it and the first one after it.
    let lastBefore = -1;
    let firstAfter = view.total;
    for (const read of view.positions()) {
      if (comesBefore(view, read, anchor)) lastBefore = Math.max(lastBefore, read);
      else firstAfter = Math.min(firstAfter, read);
    }
    if (firstAfter === lastBefore + 1) return { present: false, position: firstAfter };
    if (firstAfter <= lastBefore) throw staleCursor('the list is not ordered by creation time as expected', argument);
    if (calls >= MAX_RELOCATE_CALLS) throw staleCursor(`its job moved further than ${MAX_RELOCATE_CALLS} upstream pages`, argument);
    // The list's net growth says where the anchor went if every change was ahead of it (new jobs
    // always are); the next page read is the one there, kept within the unread gap.
    const guess = anchor.position + (view.total - anchor.total);
    const target = Math.min(Math.max(guess, lastBefore + 1), firstAfter - 1);
    if (view.has(pageOf(target))) throw staleCursor('the list changed while it was being read', argument);
    await view.load(pageOf(target));
  }
}

/** Whether the job at `position` comes before the anchor in the list (newer, or an earlier tie). */
function comesBefore(view: ListView, position: number, anchor: ListAnchor): boolean {
  const time = view.at(position)?.createTime ?? '';
  const anchorTime = anchor.createTime ?? '';
  if (time !== anchorTime) return time > anchorTime;
  return view.rankAt(position) < anchor.rank;
}

function staleCursor(reason: string, argument: 'after' | 'before'): InvalidParameterError {
  return new InvalidParameterError(
    `Argument "${argument}": this cursor can no longer be continued (${reason}); start again from the first page.`,
    'StaleCursor',
    null,
    argument,
  );
}
