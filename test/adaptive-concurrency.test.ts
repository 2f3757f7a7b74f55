import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobByIdDocument } from './generated/graphql.js';
import { sampleValue } from './support/prometheus.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * The upstream concurrency limit follows the upstream: it grows while calls succeed and the limit
 * is in use, drops when the upstream answers 429, and grows again once it recovers. Measured where
 * it matters, at the simulator (calls in flight there), and in /ready and /metrics.
 */
describe('adaptive upstream concurrency', () => {
  let stack: Stack;
  const CLIENTS = 48;
  beforeAll(async () => {
    stack = await startStack({
      // Retries and the breaker out of the way: every 429 is one upstream answer, and nothing opens.
      env: { ...NO_CACHE, DASHSCOPE_RETRY_MAX: '0', DASHSCOPE_BREAKER_THRESHOLD: '1000', DASHSCOPE_MAX_QUEUE: '1000' },
      simulator: { latencyMs: 25 },
    });
  });
  afterAll(() => stack.close());

  let next = 0;
  /** CLIENTS callers, each asking for a job nobody else asks for (no shared calls), for `ms`. */
  async function load(ms: number): Promise<void> {
    const until = Date.now() + ms;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < until) await stack.query(JobByIdDocument, { id: `ft-adaptive-${next++}` });
      }),
    );
  }
  const limit = () => stack.gateway.health().upstream.limit;
  /**
   * Loads in half-second rounds until `done` holds (at most `maxMs`): how fast the limit moves
   * depends on round trips, and a loaded CI machine makes fewer of them per second.
   */
  async function loadUntil(done: () => boolean, maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    do await load(500);
    while (!done() && Date.now() < until);
  }

  it('starts at 16, grows past it under load, drops on 429s to the floor, and grows again after recovery', {
    timeout: 60_000,
  }, async () => {
    expect(limit()).toBe(16);
    expect(sampleValue(await stack.scrape(), 'gateway_upstream_concurrency_limit')).toBe(16);

    await loadUntil(() => limit() > 16 && stack.sim.peakInFlight() > 16, 15_000);
    const grown = limit();
    expect(grown).toBeGreaterThan(16);
    expect(stack.sim.peakInFlight()).toBeGreaterThan(16);
    expect(sampleValue(await stack.scrape(), 'gateway_upstream_concurrency_limit')).toBe(grown);

    // The upstream starts throttling: the limit halves per round trip, down to the floor (4)…
    stack.sim.inject({ endpoint: 'getJob', action: { kind: 'status', status: 429, code: 'Throttling.RateQuota' } });
    await loadUntil(() => limit() === 4, 10_000);
    expect(limit()).toBe(4);
    // …and, measured at the upstream, no more than that many calls are in flight any more.
    stack.sim.resetCalls();
    await load(500);
    expect(stack.sim.peakInFlight()).toBeLessThanOrEqual(4);
    expect(stack.sim.count('getJob')).toBeGreaterThan(0);
    expect(sampleValue(await stack.scrape(), 'gateway_upstream_concurrency_limit')).toBe(4);

    // Recovery: successes grow the limit again, and the upstream sees more calls at once.
    stack.sim.clearFaults();
    stack.sim.resetCalls();
    await loadUntil(() => limit() > 8 && stack.sim.peakInFlight() > 4, 15_000);
    expect(limit()).toBeGreaterThan(8);
    expect(stack.sim.peakInFlight()).toBeGreaterThan(4);
    const ready = (await (await fetch(`${stack.url}/ready`)).json()) as { upstream: { limit: number } };
    expect(ready.upstream.limit).toBeGreaterThan(8);
  });
});
