import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { createCredential } from '../src/upstream/credential.js';
import { type RetryEvent, createRetryLayer } from '../src/upstream/retry.js';
import { type Transport, createTransport } from '../src/upstream/transport.js';

/** The retry layer alone, on the real transport against the simulator. */
describe('retry layer', () => {
  let sim: Simulator;
  let transport: Transport;
  const credential = createCredential(DEMO_API_KEY, null);
  const path = '/api/v1/fine-tunes/ft-202410291653-1c7f';
  beforeAll(async () => {
    sim = await startSimulator();
    transport = createTransport({ origin: sim.origin });
  });
  afterAll(async () => {
    await transport.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.clearFaults();
    sim.resetCalls();
  });

  const layer = (events: RetryEvent[], overrides: Partial<Parameters<typeof createRetryLayer>[0]> = {}) =>
    createRetryLayer({
      max: 3,
      baseDelayMs: 20,
      maxDelayMs: 50,
      deadlineMs: 5_000,
      random: () => 1,
      onRetry: (event) => events.push(event),
      ...overrides,
    })(transport.send);

  it('backs off exponentially up to the cap, then answers the last failure', async () => {
    const events: RetryEvent[] = [];
    sim.inject({ action: { kind: 'status', status: 503 } });
    const reply = await layer(events)({ endpoint: 'getJob', path, credential });
    expect(reply.status).toBe(503);
    expect(sim.calls).toHaveLength(4);
    // random() = 1: the full step each time, 20, 40, then capped at 50.
    expect(events.map((event) => event.delayMs)).toEqual([20, 40, 50]);
    expect(events.map((event) => event.status)).toEqual([503, 503, 503]);
  });

  it('jitter keeps each wait between half and all of its step', async () => {
    const events: RetryEvent[] = [];
    sim.inject({ action: { kind: 'status', status: 500 } });
    await layer(events, { random: () => 0 })({ endpoint: 'getJob', path, credential });
    expect(events.map((event) => event.delayMs)).toEqual([10, 20, 25]);
  });

  it('never retries anything but GET', async () => {
    const events: RetryEvent[] = [];
    sim.inject({ action: { kind: 'status', status: 500 } });
    const reply = await layer(events)({ endpoint: 'getJob', method: 'POST', path, credential });
    expect(reply.status).toBe(500);
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]!.method).toBe('POST');
    expect(events).toEqual([]);
  });

  it('max 0 makes exactly one attempt', async () => {
    const events: RetryEvent[] = [];
    sim.inject({ action: { kind: 'reset' } });
    await expect(layer(events, { max: 0 })({ endpoint: 'getJob', path, credential })).rejects.toMatchObject({ code: 'ConnectionReset' });
    expect(sim.calls).toHaveLength(1);
  });

  it('stops waiting when the caller goes away, answering the failure it had', async () => {
    const events: RetryEvent[] = [];
    sim.inject({ action: { kind: 'status', status: 503, retryAfter: '2' } });
    const controller = new AbortController();
    const started = Date.now();
    // The caller leaves during the 2 s wait after the first 503.
    const onRetry = (event: RetryEvent) => {
      events.push(event);
      setTimeout(() => controller.abort(), 50);
    };
    const reply = await layer(events, { onRetry })({ endpoint: 'getJob', path, credential, signal: controller.signal });
    expect(reply.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(events.map((event) => event.delayMs)).toEqual([2_000]);
    expect(sim.calls).toHaveLength(1);
  });
});
