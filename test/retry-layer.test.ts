import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type RetryEvent, createRetryLayer } from '../src/upstream/retry.js';
import { createTransport } from '../src/upstream/transport.js';
import { useLayerRig } from './support/layer-rig.js';

/** The retry layer alone, on the real transport against the simulator. */
describe('retry layer', () => {
  const rig = useLayerRig();
  const { credential, path } = rig;

  const layer = (events: RetryEvent[], overrides: Partial<Parameters<typeof createRetryLayer>[0]> = {}) =>
    createRetryLayer({
      max: 3,
      baseDelayMs: 20,
      maxDelayMs: 50,
      deadlineMs: 5_000,
      random: () => 1,
      onRetry: (event) => events.push(event),
      ...overrides,
    })(rig.transport.send);

  it('backs off exponentially up to the cap, then answers the last failure', async () => {
    const events: RetryEvent[] = [];
    rig.sim.inject({ action: { kind: 'status', status: 503 } });
    const reply = await layer(events)({ endpoint: 'getJob', path, credential });
    expect(reply.status).toBe(503);
    expect(rig.sim.calls).toHaveLength(4);
    // random() = 1: the full step each time, 20, 40, then capped at 50.
    expect(events.map((event) => event.delayMs)).toEqual([20, 40, 50]);
    expect(events.map((event) => event.status)).toEqual([503, 503, 503]);
  });

  it('jitter keeps each wait between half and all of its step', async () => {
    const events: RetryEvent[] = [];
    rig.sim.inject({ action: { kind: 'status', status: 500 } });
    await layer(events, { random: () => 0 })({ endpoint: 'getJob', path, credential });
    expect(events.map((event) => event.delayMs)).toEqual([10, 20, 25]);
  });

  it('never repeats an action once it may have been sent: a 5xx, a 429, a reset after the body, a timeout', async () => {
    const create = { endpoint: 'createJob' as const, method: 'POST' as const, path: '/api/v1/fine-tunes', idempotent: false, credential };
    const body = JSON.stringify({ model: 'qwen3-14b', training_file_ids: ['file-1'] });
    const faults = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503, retryAfter: '0' },
      { kind: 'status', status: 429 },
      { kind: 'reset' },
      { kind: 'reset-mid-body' },
    ] as const;
    for (const action of faults) {
      const events: RetryEvent[] = [];
      rig.sim.clearFaults();
      rig.sim.resetCalls();
      rig.sim.inject({ action });
      await layer(events)({ ...create, body }).catch(() => undefined);
      expect(rig.sim.calls, action.kind).toHaveLength(1);
      // The simulator read the whole body before the fault struck: it was sent.
      expect(rig.sim.calls[0]!.body, action.kind).toEqual(JSON.parse(body));
      expect(events, action.kind).toEqual([]);
    }
    // A timeout after sending (the simulator never answers; the caller's deadline ends it).
    rig.sim.clearFaults();
    rig.sim.resetCalls();
    rig.sim.inject({ action: { kind: 'hang' } });
    const events: RetryEvent[] = [];
    await expect(layer(events)({ ...create, body, signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ code: 'Timeout' });
    expect(rig.sim.calls).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('a request that says nothing is idempotent only as a GET: a POST or DELETE without the field is not repeated', async () => {
    const events: RetryEvent[] = [];
    rig.sim.inject({ action: { kind: 'status', status: 500 } });
    const reply = await layer(events)({ endpoint: 'deleteJob', method: 'DELETE', path, credential });
    expect(reply.status).toBe(500);
    expect(rig.sim.calls).toHaveLength(1);
    expect(rig.sim.calls[0]!.method).toBe('DELETE');
    expect(events).toEqual([]);
  });

  it('repeats an action after a refused connection, when provably nothing was sent', async () => {
    // A port nobody listens on: a real ECONNREFUSED on the first attempt, the simulator after it.
    const closed = await closedPort();
    const refusing = createTransport({ origin: `http://127.0.0.1:${closed}` });
    let attempts = 0;
    const events: RetryEvent[] = [];
    const send = createRetryLayer({ max: 3, baseDelayMs: 5, maxDelayMs: 10, deadlineMs: 5_000, onRetry: (event) => events.push(event) })(
      (request) => (attempts++ === 0 ? refusing.send(request) : rig.transport.send(request)),
    );
    const reply = await send({
      endpoint: 'cancelJob',
      method: 'POST',
      path: `${path}/cancel`,
      idempotent: false,
      credential,
    });
    await refusing.close();
    expect(attempts).toBe(2);
    expect(events.map((event) => event.code)).toEqual(['ConnectionRefused']);
    expect(rig.sim.count('cancelJob')).toBe(1);
    // The example job is SUCCEEDED: the simulator refuses to cancel it, and that answer is final.
    expect(reply.status).toBe(400);
  });

  it('max 0 makes exactly one attempt', async () => {
    const events: RetryEvent[] = [];
    rig.sim.inject({ action: { kind: 'reset' } });
    await expect(layer(events, { max: 0 })({ endpoint: 'getJob', path, credential })).rejects.toMatchObject({ code: 'ConnectionReset' });
    expect(rig.sim.calls).toHaveLength(1);
  });

  it('stops waiting when the caller goes away, answering the failure it had', async () => {
    const events: RetryEvent[] = [];
    rig.sim.inject({ action: { kind: 'status', status: 503, retryAfter: '2' } });
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
    expect(rig.sim.calls).toHaveLength(1);
  });
});

/** A port on 127.0.0.1 that was free a moment ago and has nobody listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
