import { UpstreamError } from '../errors.js';
import type { SendLayer } from './index.js';
import { TRANSIENT_NETWORK_CODES } from './transport.js';

/** The code of the error a call gets while the circuit is open. */
export const CIRCUIT_OPEN = 'CircuitOpen';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  cooldownMs: number;
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
  /** @default Date.now */
  now?: () => number;
}

export interface CircuitBreaker {
  layer: SendLayer;
  state(): CircuitState;
}

type Verdict = 'success' | 'failure' | 'neutral';

/**
 * Stops calling an upstream origin that keeps failing, and finds out by itself when it is back.
 *
 * Closed: every call goes through; `threshold` consecutive failures (5xx, timeouts, refused or
 * reset connections) open the circuit. Open: calls fail at once with `CircuitOpen`, costing the
 * upstream nothing. After `cooldownMs` the circuit is half-open: exactly one call goes through as a
 * probe while the others still fail fast; its success closes the circuit, its failure opens it for
 * another cooldown. 4xx answers are successes (the upstream is up, the request was wrong); a 429 or
 * a call the client abandoned says nothing about the upstream's health and counts neither way.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { threshold, cooldownMs, onStateChange } = options;
  const now = options.now ?? Date.now;
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  const transition = (next: CircuitState): void => {
    if (next === state) return;
    const previous = state;
    state = next;
    if (next === 'open') openedAt = now();
    if (next === 'closed') failures = 0;
    onStateChange?.(next, previous);
  };

  /** Whether a call may go through now, and whether it is the half-open probe. */
  const admit = (): { admitted: boolean; probe: boolean } => {
    if (state === 'open' && now() - openedAt >= cooldownMs) transition('half-open');
    if (state === 'closed') return { admitted: true, probe: false };
    if (state === 'half-open' && !probeInFlight) {
      probeInFlight = true;
      return { admitted: true, probe: true };
    }
    return { admitted: false, probe: false };
  };

  const settle = (verdict: Verdict, probe: boolean): void => {
    if (probe) {
      probeInFlight = false;
      if (verdict === 'success') transition('closed');
      else if (verdict === 'failure') transition('open');
      // A neutral probe leaves the circuit half-open: the next call probes again.
      return;
    }
    if (state !== 'closed') return;
    if (verdict === 'success') failures = 0;
    else if (verdict === 'failure' && ++failures >= threshold) transition('open');
  };

  const layer: SendLayer = (next) => async (request) => {
    const { admitted, probe } = admit();
    if (!admitted) {
      const retryIn = Math.max(1, Math.ceil((openedAt + cooldownMs - now()) / 1000));
      throw new UpstreamError(
        `The upstream keeps failing, so the gateway has paused calls to it; retry in about ${retryIn} s.`,
        CIRCUIT_OPEN,
        null,
        null,
      );
    }
    let verdict: Verdict = 'neutral';
    try {
      const reply = await next(request);
      verdict = reply.status === 429 ? 'neutral' : isFailureStatus(reply.status) ? 'failure' : 'success';
      return reply;
    } catch (error) {
      verdict = isFailureError(error) ? 'failure' : 'neutral';
      throw error;
    } finally {
      settle(verdict, probe);
    }
  };

  return { layer, state: () => (state === 'open' && now() - openedAt >= cooldownMs ? 'half-open' : state) };
}

/** 5xx except 501 (Not Implemented says nothing about the upstream's health). */
export function isFailureStatus(status: number): boolean {
  return status >= 500 && status !== 501;
}

function isFailureError(error: unknown): boolean {
  return error instanceof UpstreamError && TRANSIENT_NETWORK_CODES.has(error.code);
}
