import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../src/errors.js';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../src/simulator/server.js';
import { createCredential } from '../src/upstream/credential.js';
import { type Transport, createTransport } from '../src/upstream/transport.js';

/** The transport's abort semantics, with Node's own AbortController, against a real (slow) simulator. */
describe('transport and abort signals (a real call to a slow simulator)', () => {
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
    const controller = new AbortController();
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
    const controller = new AbortController();
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
