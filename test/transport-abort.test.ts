import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../src/errors.js';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { CallController } from '../src/upstream/call-signal.js';
import { createCredential } from '../src/upstream/credential.js';
import { type Transport, createTransport } from '../src/upstream/transport.js';

describe('CallController', () => {
  it('behaves like AbortController for the upstream layers: once, in order, late listeners never run', () => {
    const controller = new CallController();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    controller.signal.addEventListener('abort', () => calls.push('first'));
    controller.signal.addEventListener('abort', removed);
    controller.signal.addEventListener('abort', () => calls.push('second'));
    controller.signal.removeEventListener('abort', removed);
    expect(controller.signal.aborted).toBe(false);
    const reason = new DOMException('time is up', 'TimeoutError');
    controller.abort(reason);
    controller.abort(new Error('ignored'));
    controller.signal.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['first', 'second']);
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe(reason);
  });

  it('defaults the reason to an AbortError, as AbortController does', () => {
    const controller = new CallController();
    controller.abort();
    expect((controller.signal.reason as DOMException).name).toBe('AbortError');
  });
});

/**
 * The transport's abort semantics against a real (slow) simulator, with both kinds of signal the
 * gateway hands it: Node's own (the status hub's) and a CallController's (the deadline, shared calls).
 */
describe.each([
  ['Node AbortController', () => new AbortController()],
  ['CallController', () => new CallController()],
])('transport and abort signals, %s (a real call to a slow simulator)', (_kind, createController) => {
  let sim: Simulator;
  let transport: Transport;
  beforeAll(async () => {
    sim = await startSimulator({ latencyMs: 5_000 });
    // Timeouts far beyond the test: only the signal can end the call early.
    transport = createTransport({ origin: sim.origin, connectTimeoutMs: 30_000, headersTimeoutMs: 30_000, bodyTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await transport.close();
    await sim.close();
  });

  it.each([
    ['a timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'Timeout'],
    ['the client leaving', new DOMException('The client closed the connection', 'AbortError'), 'Aborted'],
  ])('ends the call at once on %s', async (_name, reason, code) => {
    const controller = createController();
    const started = performance.now();
    const call = transport.send({
      endpoint: 'getJob',
      path: '/api/v1/fine-tunes/ft-202410291653-1c7f',
      credential: createCredential(DEMO_API_KEY, null),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 100);
    const error = await call.then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe(code);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('an already aborted signal sends nothing', async () => {
    const controller = createController();
    controller.abort(new DOMException('gone', 'AbortError'));
    const before = sim.calls.length;
    await expect(
      transport.send({
        endpoint: 'getJob',
        path: '/api/v1/fine-tunes/ft-202410291653-1c7f',
        credential: createCredential(DEMO_API_KEY, null),
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'Aborted' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.calls.length).toBe(before);
  });
});
