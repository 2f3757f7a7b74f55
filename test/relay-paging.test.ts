import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RELOCATE_CALLS, UPSTREAM_PAGE_SIZE } from '../src/loaders/job-list-paging.js';
import { DEMO_API_KEY, createDemoJobs } from '../src/simulator/fixtures.js';
import type { WireJob } from '../src/upstream/wire.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * `fineTuneJobs` (Relay cursor connection) over the simulator's page-number list, with jobs created
 * and deleted upstream between two requests: no job repeated or skipped, and the upstream list
 * calls of every page counted.
 */

const PAGE = /* GraphQL */ `
  query Page($model: String, $first: Int, $after: String, $last: Int, $before: String) {
    fineTuneJobs(model: $model, first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id createTime } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      totalCount
    }
  }
`;

interface Connection {
  edges: { cursor: string; node: { id: string; createTime: string | null } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** 250 jobs: pages of 10 cross the upstream's 100-job pages. */
const JOBS = 250;

let created = 0;
/** A job created upstream just now: newer than every other, so first in the list. */
function newJob(template: WireJob): WireJob {
  created += 1;
  const stamp = new Date(Date.UTC(2030, 0, 1) + created * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const id = `ft-new-${String(created).padStart(5, '0')}`;
  return { ...template, job_id: id, job_name: id, create_time: stamp };
}

describe('fineTuneJobs: cursors over the upstream page numbers', () => {
  let stack: Stack;
  // Each test pages over a fresh list of JOBS jobs.
  beforeEach(async () => {
    stack = await startStack({ env: NO_CACHE, simulator: { tenants: { [DEMO_API_KEY]: createDemoJobs({ count: JOBS - 2 }) } } });
  });
  afterEach(() => stack.close());

  const ids = () => stack.sim.jobs().map((job) => job.job_id);

  async function page(variables: Record<string, unknown>): Promise<{ connection: Connection; calls: number }> {
    const since = stack.sim.calls.length;
    const { status, body } = await stack.raw({ query: PAGE, variables });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(status).toBe(200);
    return { connection: body.data.fineTuneJobs as Connection, calls: stack.sim.count('listJobs', since) };
  }

  /** Upstream pages holding positions from..to: the calls a page costs when nothing moved. */
  const pagesSpanned = (from: number, to: number) => Math.floor(to / UPSTREAM_PAGE_SIZE) - Math.floor(from / UPSTREAM_PAGE_SIZE) + 1;

  /**
   * Pages forwards with `first` until the end, calling `churn(step, seen)` between two pages. Returns
   * the ids seen and, per page after the first, the upstream calls beyond a no-churn page's.
   */
  async function walkForward(first: number, churn: (step: number, seen: string[]) => void) {
    const seen: string[] = [];
    const extra: number[] = [];
    let after: string | null = null;
    let anchorPosition = -1;
    for (let step = 0; step < 200; step += 1) {
      const length = ids().length;
      const { connection, calls } = await page({ first, after });
      if (after === null) expect(calls).toBe(1);
      else extra.push(calls - pagesSpanned(anchorPosition, Math.min(anchorPosition + first, length - 1)));
      seen.push(...connection.edges.map((edge) => edge.node.id));
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
      if (!connection.pageInfo.hasNextPage) return { seen, extra };
      after = connection.pageInfo.endCursor;
      // Where the cursor's job is now, before the churn: where the next page looks first.
      anchorPosition = ids().indexOf(seen.at(-1)!);
      churn(step, seen);
    }
    throw new Error('did not reach the end');
  }

  it('walks the whole list with no churn: every job once, in order, one upstream call per page (two across a 100-job boundary)', async () => {
    const { seen, extra } = await walkForward(10, () => {});
    expect(seen).toEqual(ids());
    expect(extra.every((count) => count === 0)).toBe(true);
    const { connection } = await page({ first: 10 });
    expect(connection.totalCount).toBe(JOBS);
    expect(connection.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  it('continues with no job repeated or skipped while jobs are created and deleted between pages', async () => {
    const original = ids();
    const template = stack.sim.jobs()[0]!;
    const deletedUnseen = new Set<string>();
    const remove = (id: string, seen: string[]) => {
      if (!seen.includes(id)) deletedUnseen.add(id);
      stack.sim.removeJob(id);
    };
    const { seen, extra } = await walkForward(10, (step, seen) => {
      const list = ids();
      const anchor = seen.at(-1)!;
      const at = list.indexOf(anchor);
      switch (step % 7) {
        case 0: // a few new jobs
          for (let i = 0; i < 3; i += 1) stack.sim.upsertJob(newJob(template));
          break;
        case 1: // the cursor's own job and one before it deleted
          remove(anchor, seen);
          remove(list[at - 3]!, seen);
          break;
        case 2: // jobs right after the cursor deleted (never to be seen), one new
          remove(list[at + 1]!, seen);
          remove(list[at + 2]!, seen);
          stack.sim.upsertJob(newJob(template));
          break;
        case 3: // a burst of new jobs: the cursor's job moves to another upstream page
          for (let i = 0; i < 120; i += 1) stack.sim.upsertJob(newJob(template));
          break;
        case 4: // deletions ahead and behind the cursor at once, and new jobs
          remove(list[1]!, seen);
          remove(list[at - 1]!, seen);
          remove(list.at(-1)!, seen);
          for (let i = 0; i < 7; i += 1) stack.sim.upsertJob(newJob(template));
          break;
        case 5: // new jobs ahead and the oldest deleted: the list's net growth misleads the first guess
          for (let i = 0; i < 150; i += 1) stack.sim.upsertJob(newJob(template));
          for (const id of ids().slice(-60)) remove(id, seen);
          break;
        default: // nothing changed
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(original.filter((id) => !deletedUnseen.has(id)));
    // Every page's extra upstream calls over a page when nothing moved.
    console.info(`forward walk under churn, extra upstream calls per page: ${JSON.stringify(extra)}`);
    expect(Math.max(...extra)).toBeLessThanOrEqual(2);
  });

  it('pages of the largest size (first: 100) under churn: no job repeated or skipped, at most two extra calls', async () => {
    const original = ids();
    const template = stack.sim.jobs()[0]!;
    const deletedUnseen = new Set<string>();
    const { seen, extra } = await walkForward(100, (_step, seen) => {
      for (let i = 0; i < 30; i += 1) stack.sim.upsertJob(newJob(template));
      const list = ids();
      const after = list.indexOf(seen.at(-1)!) + 1;
      for (const id of list.slice(after, after + 5)) {
        deletedUnseen.add(id);
        stack.sim.removeJob(id);
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(original.filter((id) => !deletedUnseen.has(id)));
    console.info(`first: 100 under churn, extra upstream calls per page: ${JSON.stringify(extra)}`);
    expect(Math.max(...extra)).toBeLessThanOrEqual(2);
  });

  it('pages backwards from the end with last/before, churn between pages, no job repeated or skipped', async () => {
    const original = ids();
    const template = stack.sim.jobs()[0]!;
    const deletedUnseen = new Set<string>();
    const seen: string[] = [];
    const extra: number[] = [];
    let before: string | null = null;
    let anchorPosition = -1;
    for (let step = 0; ; step += 1) {
      if (step === 200) throw new Error('did not reach the start');
      const { connection, calls } = await page({ last: 15, before });
      if (before === null) {
        // The list's length comes with the first page, then the pages holding its end.
        expect(calls).toBe(1 + Number(original.length > UPSTREAM_PAGE_SIZE));
      } else {
        extra.push(calls - pagesSpanned(Math.max(0, anchorPosition - 15), anchorPosition));
      }
      seen.unshift(...connection.edges.map((edge) => edge.node.id));
      expect(connection.pageInfo.startCursor).toBe(connection.edges[0]?.cursor ?? null);
      if (!connection.pageInfo.hasPreviousPage) break;
      before = connection.pageInfo.startCursor;
      const list = ids();
      const anchor = seen[0]!;
      const at = list.indexOf(anchor);
      anchorPosition = at;
      if (step % 3 === 0) for (let i = 0; i < 4; i += 1) stack.sim.upsertJob(newJob(template));
      if (step % 3 === 1) {
        // The cursor's job and the one just before it (not yet seen) deleted.
        for (const id of [anchor, list[at - 1]!]) {
          if (!seen.includes(id)) deletedUnseen.add(id);
          stack.sim.removeJob(id);
        }
      }
    }
    // Jobs created meanwhile are ahead of every other: paging backwards reaches them too, in order.
    const final = ids();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => final.includes(id))).toEqual(final);
    expect(seen.filter((id) => original.includes(id))).toEqual(original.filter((id) => !deletedUnseen.has(id)));
    console.info(`backward walk under churn, extra upstream calls per page: ${JSON.stringify(extra)}`);
    expect(Math.max(...extra)).toBeLessThanOrEqual(2);
  });
});

describe('fineTuneJobs: ties, stale cursors, bad input, errors', () => {
  let stack: Stack;
  afterEach(() => stack?.close());

  it('a deleted cursor job among jobs created in the same second: the rest of that second follows, none repeated', async () => {
    const base = createDemoJobs({ count: 18 });
    // Jobs 5..12 share one creation second (in list order, as the upstream keeps them).
    const tie = base[5]!.create_time;
    for (let i = 6; i <= 12; i += 1) base[i] = { ...base[i]!, create_time: tie };
    stack = await startStack({ env: NO_CACHE, simulator: { tenants: { [DEMO_API_KEY]: base } } });
    const original = stack.sim.jobs().map((job) => job.job_id);
    const first = await stack.raw({ query: PAGE, variables: { first: 8 } });
    const edges = (first.body.data.fineTuneJobs as Connection).edges;
    expect(edges.map((edge) => edge.node.id)).toEqual(original.slice(0, 8));
    stack.sim.removeJob(original[7]!);
    const next = await stack.raw({ query: PAGE, variables: { first: 8, after: edges.at(-1)!.cursor } });
    expect((next.body.data.fineTuneJobs as Connection).edges.map((edge) => edge.node.id)).toEqual(original.slice(8, 16));
  });

  it(`a cursor whose job moved further than ${MAX_RELOCATE_CALLS} upstream pages answers StaleCursor, never a page that could repeat or skip`, async () => {
    stack = await startStack({ env: NO_CACHE, simulator: { tenants: { [DEMO_API_KEY]: createDemoJobs({ count: 248 }) } } });
    const first = await stack.raw({ query: PAGE, variables: { first: 10 } });
    const cursor = (first.body.data.fineTuneJobs as Connection).pageInfo.endCursor;
    // 700 new jobs and the 230 oldest deleted: the list grew by 470, the cursor's job moved by 700.
    const template = stack.sim.jobs()[0]!;
    for (let i = 0; i < 700; i += 1) stack.sim.upsertJob(newJob(template));
    for (const job of stack.sim.jobs().slice(-230)) stack.sim.removeJob(job.job_id);
    const since = stack.sim.calls.length;
    const { status, body } = await stack.raw({ query: PAGE, variables: { first: 10, after: cursor } });
    expect(status).toBe(200);
    expect(body.data).toEqual({ fineTuneJobs: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['fineTuneJobs'], extensions: expect.objectContaining({ code: 'StaleCursor', argument: 'after' }) }),
    ]);
    expect(stack.sim.count('listJobs', since)).toBe(1 + MAX_RELOCATE_CALLS);
  });

  it('refuses bad first/last, mixed directions and bad cursors locally: InvalidParameter or InvalidCursor, no upstream call', async () => {
    stack = await startStack({ env: NO_CACHE });
    const { body: ok } = await stack.raw({ query: PAGE, variables: { first: 2, model: 'qwen3-14b' } });
    const modelCursor = (ok.data.fineTuneJobs as Connection).pageInfo.endCursor!;
    const forged = Buffer.from(JSON.stringify({ v: 1, i: 'x', t: null, r: 0, p: -5, n: 1, m: null })).toString('base64url');
    const cases: [Record<string, unknown>, string, string][] = [
      [{ first: 0 }, 'InvalidParameter', 'first'],
      [{ first: 101 }, 'InvalidParameter', 'first'],
      [{ last: -1 }, 'InvalidParameter', 'last'],
      [{ last: 101 }, 'InvalidParameter', 'last'],
      [{ first: 5, last: 5 }, 'InvalidParameter', 'first'],
      [{ after: modelCursor, last: 3 }, 'InvalidParameter', 'after'],
      [{ first: 5, after: 'not a cursor' }, 'InvalidCursor', 'after'],
      [{ first: 5, after: Buffer.from('{"v":1}').toString('base64url') }, 'InvalidCursor', 'after'],
      [{ first: 5, after: forged }, 'InvalidCursor', 'after'],
      [{ first: 5, after: 'A'.repeat(5000) }, 'InvalidCursor', 'after'],
      [{ last: 5, before: '' }, 'InvalidCursor', 'before'],
      // A cursor of the `qwen3-14b` list is no cursor of the whole list.
      [{ first: 5, after: modelCursor }, 'InvalidCursor', 'after'],
      [{ first: 5, model: '' }, 'InvalidParameter', 'model'],
    ];
    const since = stack.sim.calls.length;
    for (const [variables, code, argument] of cases) {
      const { status, body } = await stack.raw({ query: PAGE, variables });
      expect(status, JSON.stringify(variables)).toBe(200);
      expect(body.data, JSON.stringify(variables)).toEqual({ fineTuneJobs: null });
      expect(body.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code, argument });
    }
    expect(stack.sim.count(undefined, since)).toBe(0);
    // With its own filter, the cursor continues that list.
    const { body: next } = await stack.raw({ query: PAGE, variables: { first: 2, after: modelCursor, model: 'qwen3-14b' } });
    expect(next.errors).toBeUndefined();
    const expected = stack.sim
      .jobs()
      .filter((job) => job.model === 'qwen3-14b')
      .slice(2, 4)
      .map((job) => job.job_id);
    expect((next.data.fineTuneJobs as Connection).edges.map((edge) => edge.node.id)).toEqual(expected);
  });

  it('an upstream failure is an error in errors[] with the typed code and the upstream request_id; the field is null', async () => {
    stack = await startStack({ env: NO_CACHE });
    stack.sim.inject({ endpoint: 'listJobs', action: { kind: 'status', status: 403, code: 'AccessDenied' }, times: 1 });
    const since = stack.sim.calls.length;
    const { status, body } = await stack.raw({ query: PAGE, variables: { first: 5 } });
    const call = stack.sim.calls[since]!;
    expect(status).toBe(200);
    expect(body.data).toEqual({ fineTuneJobs: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['fineTuneJobs'], extensions: { code: 'AccessDenied', requestId: call.requestId } }),
    ]);
  });

  it('jobs listed by fineTuneJobs are reused by fineTune and node in the same operation', async () => {
    stack = await startStack({ env: NO_CACHE });
    const id = stack.sim.jobs()[1]!.job_id;
    const since = stack.sim.calls.length;
    const { body } = await stack.raw({
      query: `{ fineTuneJobs(first: 3) { edges { node { id } } } node(id: "${id}") { id } }`,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.node).toEqual({ id });
    expect(stack.sim.count('listJobs', since)).toBe(1);
    expect(stack.sim.count('getJob', since)).toBeLessThanOrEqual(1);
  });
});
