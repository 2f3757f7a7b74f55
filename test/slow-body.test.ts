import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobByIdDocument } from './generated/graphql.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * A reply that drips (one byte every 200 ms: never a gap long enough for undici's body timeout)
 * must not outlive its deadline, even while new callers keep joining the shared call: otherwise
 * the calls hold the upstream's concurrency slots after the upstream has recovered, and every job
 * keeps timing out. Slow bodies for 5 s under a dashboard's load, then a healthy upstream: every
 * request must succeed again within 5 s.
 */
describe('slow upstream bodies', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ...NO_CACHE, DASHSCOPE_TIMEOUT_MS: '1000' } });
  });
  afterAll(() => stack.close());

  it('end at the deadline, and the gateway recovers within seconds of the upstream', { timeout: 60_000 }, async () => {
    const running = stack.sim
      .jobs()
      .filter((job) => !['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status ?? ''))
      .map((job) => job.job_id)
      .slice(0, 4);
    expect(running.length).toBe(4);
    const ask = async (id: string): Promise<{ ok: boolean; ms: number }> => {
      const started = performance.now();
      const body = await stack.query(JobByIdDocument, { id });
      return { ok: body.data?.fineTune?.__typename === 'FineTuneJob', ms: performance.now() - started };
    };

    // A dashboard: 12 callers asking for the same 4 jobs again and again, started 90 ms apart so
    // that a shared call always has a caller waiting for it.
    stack.sim.inject({ endpoint: 'getJob', action: { kind: 'drip', intervalMs: 200 } });
    const slowUntil = Date.now() + 5_000;
    const during: { ok: boolean; ms: number }[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 90));
        while (Date.now() < slowUntil) during.push(await ask(running[i % running.length] as string));
      }),
    );
    // Every request was answered within its deadline (1 s, plus a margin for a loaded machine).
    expect(during.length).toBeGreaterThan(12);
    expect(during.every((answer) => !answer.ok)).toBe(true);
    expect(Math.max(...during.map((answer) => answer.ms))).toBeLessThan(3_000);

    // The upstream is healthy again: within 5 s every job answers, and keeps answering.
    // No upstream call outlived its deadline (1 s, plus a margin), though callers kept joining the
    // shared ones and no dripping reply was ever complete.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const dripped = stack.sim.calls.filter((call) => call.endpoint === 'getJob');
    expect(dripped.length).toBeGreaterThan(4);
    expect(dripped.every((call) => call.endedAt !== undefined)).toBe(true);
    expect(Math.max(...dripped.map((call) => (call.endedAt ?? Number.POSITIVE_INFINITY) - call.at))).toBeLessThan(2_500);

    stack.sim.clearFaults();
    const healthyAt = performance.now();
    let recoveredAfterMs: number | null = null;
    while (performance.now() - healthyAt < 5_000) {
      const round = await Promise.all(running.map(ask));
      if (round.every((answer) => answer.ok)) {
        recoveredAfterMs = performance.now() - healthyAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recoveredAfterMs).not.toBeNull();
    const after = await Promise.all([...running, ...running].map(ask));
    expect(after.every((answer) => answer.ok)).toBe(true);
  });
});
