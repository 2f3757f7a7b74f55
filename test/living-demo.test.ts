import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDemoJobs } from '../src/simulator/fixtures.js';
import type { LivingDemoOptions } from '../src/simulator/living.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { JobByIdDocument, WatchJobStatusDocument } from './generated/graphql.js';
import { subscribe } from './support/sse.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * The living demo (`src/simulator/living.ts`): under `npm start` the simulator starts jobs now and
 * then and moves them through their statuses. Here its clock is stepped by hand (`advance`), so
 * every step is deterministic; no timer runs.
 */

const LIVING: LivingDemoOptions = {
  startAt: Date.UTC(2026, 10, 30, 6, 0, 0),
  newJobEveryMs: 20_000,
  pendingMs: 5_000,
  queuingMs: 10_000,
  runningMs: [30_000, 90_000],
  seed: 1,
};

describe('the living demo, stepped deterministically', () => {
  const sims: Simulator[] = [];
  const start = async (living: LivingDemoOptions = LIVING): Promise<Simulator> => {
    const sim = await startSimulator({ living });
    sims.push(sim);
    return sim;
  };
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((sim) => sim.close()));
  });

  it('starts with the fixed demo jobs untouched, and without `living` there is nothing to advance', async () => {
    const sim = await start();
    expect(sim.jobs()).toEqual(createDemoJobs());
    sim.advance(19_999);
    expect(sim.jobs()).toHaveLength(createDemoJobs().length);
    const plain = await startSimulator();
    sims.push(plain);
    expect(plain.living).toBeNull();
    expect(() => plain.advance(1_000)).toThrow(/without `living`/);
  });

  it('after N steps a new job exists and moves PENDING → QUEUING → RUNNING → SUCCEEDED or FAILED, with an end time', async () => {
    const sim = await start();
    const fixed = createDemoJobs().length;
    sim.advance(20_000);
    expect(sim.jobs()).toHaveLength(fixed + 1);
    const [id] = sim.living!.jobIds();
    const job = () => sim.jobs().find((candidate) => candidate.job_id === id)!;
    // The newest job, first in the list; created at the simulated time, in the upstream's +08:00 clock.
    expect(sim.jobs()[0]!.job_id).toBe(id);
    expect(job()).toMatchObject({ status: 'PENDING', create_time: '2026-11-30 14:00:20' });
    expect(job().end_time).toBeUndefined();

    const seen = [job().status];
    for (let step = 0; step < 120; step += 1) {
      sim.advance(1_000);
      if (job().status !== seen.at(-1)) seen.push(job().status!);
    }
    expect(seen.slice(0, 3)).toEqual(['PENDING', 'QUEUING', 'RUNNING']);
    expect(seen).toHaveLength(4);
    expect(['SUCCEEDED', 'FAILED']).toContain(seen[3]);
    expect(job().end_time).toMatch(/^2026-11-30 14:0[12]:\d\d$/);
    if (seen[3] === 'SUCCEEDED') expect(job().finetuned_output).toContain(id);
    // Meanwhile more jobs started, one every 20 s.
    expect(sim.living!.jobIds()).toHaveLength(7);
  });

  it('is deterministic: the same seed and steps give the same jobs', async () => {
    const [a, b] = [await start(), await start()];
    for (const sim of [a, b]) for (let step = 0; step < 30; step += 1) sim.advance(7_000);
    expect(a.jobs()).toEqual(b.jobs());
    // One big step lands where many small ones do.
    const c = await start();
    c.advance(210_000);
    expect(c.jobs()).toEqual(a.jobs());
    // Some of each outcome over a longer run.
    c.advance(2_000_000);
    const ended = c.living!.jobIds().map((id) => c.jobs().find((job) => job.job_id === id)!.status);
    expect(ended).toContain('SUCCEEDED');
    expect(ended).toContain('FAILED');
  });

  it('keeps at most maxJobs living jobs, dropping the oldest finished ones', async () => {
    // At most 6 jobs run at once (up to 105 s each, one every 20 s): a cap of 10 always holds.
    const sim = await start({ ...LIVING, maxJobs: 10 });
    sim.advance(20_000);
    const [first] = sim.living!.jobIds();
    sim.advance(20_000 * 29);
    expect(sim.living!.jobIds()).toHaveLength(10);
    expect(sim.jobs()).toHaveLength(createDemoJobs().length + 10);
    expect(sim.jobs().some((job) => job.job_id === first)).toBe(false);
  });
});

describe('the living demo through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ simulator: { living: LIVING }, env: { DASHSCOPE_POLL_INTERVAL_MS: '20' } });
  });
  afterAll(() => stack.close());

  it('the fineTuneStatus subscription (SSE) of a new job delivers each status change and completes when it ends', async () => {
    stack.sim.advance(20_000);
    const [id] = stack.sim.living!.jobIds() as [string];
    const subscription = await subscribe(`${stack.url}/graphql`, WatchJobStatusDocument, { id });
    expect(subscription.status).toBe(200);
    const statusOf = (event: Awaited<ReturnType<typeof subscription.next>>): string => {
      const value = event?.data?.fineTuneStatus;
      if (value?.__typename !== 'FineTuneJob') throw new Error(`not a job: ${JSON.stringify(event)}`);
      return value.status;
    };
    expect(statusOf(await subscription.next())).toBe('PENDING');
    stack.sim.advance(5_000);
    expect(statusOf(await subscription.next())).toBe('QUEUING');
    stack.sim.advance(10_000);
    expect(statusOf(await subscription.next())).toBe('RUNNING');
    stack.sim.advance(90_000);
    const last = await subscription.next();
    expect(['SUCCEEDED', 'FAILED']).toContain(statusOf(last));
    expect(last?.data?.fineTuneStatus).toMatchObject({
      isTerminal: true,
      endedAt: expect.stringMatching(/^2026-11-30T14:0[12]:\d\d\+08:00$/),
    });
    expect(await subscription.next()).toBeNull();
    expect(subscription.completed).toBe(true);

    // A query sees the same ended job.
    const now = await stack.query(JobByIdDocument, { id });
    expect(now.data?.fineTune).toMatchObject({ id, status: statusOf(last) });
  });
});
