import { describe, expect, it } from 'vitest';
import { CallController } from '../src/upstream/call-signal.js';
import { createCircuitBreaker } from '../src/upstream/circuit-breaker.js';
import type { UpstreamRequest } from '../src/upstream/layer.js';
import { useLayerRig } from './support/layer-rig.js';

/**
 * The circuit breaker alone, on the real transport against the simulator. A probe the upstream
 * answers slowly (a dripping body) must not hold the circuit half-open for its whole deadline,
 * failing every other call fast after the upstream is healthy again.
 */
describe('circuit breaker', () => {
  const rig = useLayerRig();
  const { credential, path } = rig;

  /** A GET with a deadline of `ms`, as the operation's deadline would give it. */
  const request = (ms: number): UpstreamRequest => {
    const controller = new CallController(performance.now() + ms);
    setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
    return { endpoint: 'getJob', path, credential, signal: controller.signal };
  };
  const outcome = (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? 'error',
    );

  it('a slow probe ends after the probe timeout and opens the circuit again; the next probe closes it', async () => {
    const breaker = createCircuitBreaker({ threshold: 1, cooldownMs: 200, probeTimeoutMs: 300 });
    const send = breaker.layer(rig.transport.send);
    rig.sim.inject({ endpoint: 'getJob', action: { kind: 'drip', intervalMs: 100 } });

    // One dripping call that ends at its (short) deadline opens the circuit.
    expect(await outcome(send(request(400)))).toBe('Timeout');
    expect(breaker.state()).toBe('open');
    expect(await outcome(send(request(10_000)))).toBe('CircuitOpen');

    // After the cooldown, the probe drips too: it ends after 300 ms, not at its 10 s deadline.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const started = performance.now();
    expect(await outcome(send(request(10_000)))).toBe('Timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(breaker.state()).toBe('open');

    // The upstream heals: the next probe, one cooldown later, closes the circuit.
    rig.sim.clearFaults();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await outcome(send(request(10_000)))).toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(await outcome(send(request(10_000)))).toBe('ok');
  });

  it('a probe keeps its own, shorter deadline', async () => {
    const breaker = createCircuitBreaker({ threshold: 1, cooldownMs: 100, probeTimeoutMs: 5_000 });
    const send = breaker.layer(rig.transport.send);
    rig.sim.inject({ endpoint: 'getJob', action: { kind: 'drip', intervalMs: 100 } });
    expect(await outcome(send(request(300)))).toBe('Timeout');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = performance.now();
    expect(await outcome(send(request(300)))).toBe('Timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
