import { BrokenCircuitError, CircuitState as PolicyState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { UpstreamError } from '../errors.js';
import { CallController } from './call-signal.js';
import {
  CIRCUIT_OPEN,
  type Send,
  type SendLayer,
  type UpstreamReply,
  type UpstreamRequest,
  isFailureStatus,
  isTransientError,
} from './layer.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  cooldownMs: number;
  /**
   * Longest a probe may take before it counts as a failure (and the circuit opens again): a probe
   * the upstream answers slowly (a dripping body) must not hold the circuit half-open, failing every
   * other call fast, for a whole operation deadline after the upstream is healthy again.
   * @default min(1000, cooldownMs)
   */
  probeTimeoutMs?: number;
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

export interface CircuitBreaker {
  layer: SendLayer;
  state(): CircuitState;
}

/**
 * Stops calling an upstream origin that keeps failing, and finds out by itself when it is back:
 * cockatiel's circuit breaker with a `ConsecutiveBreaker`.
 *
 * Closed: every call goes through; `threshold` consecutive failures (5xx but 501, timeouts, refused
 * or reset connections) open the circuit. Open: calls fail at once with `CircuitOpen`, costing the
 * upstream nothing. After `cooldownMs` the circuit is half-open: exactly one call goes through as a
 * probe while the others still fail fast (cockatiel would queue them behind the probe); its success
 * closes the circuit, its failure opens it for another cooldown. 4xx answers are successes (the
 * upstream is up, the request was wrong); a 429 or a call the client abandoned says nothing about
 * the upstream's health and counts neither way (cockatiel passes errors its policy does not handle
 * through uncounted; a probe that ends that way closes the circuit). A probe ends with `Timeout`
 * after `probeTimeoutMs` (1 s) whatever its own deadline, so after the upstream heals the circuit
 * closes within about one cooldown plus one probe.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { threshold, cooldownMs, onStateChange } = options;
  const probeTimeoutMs = options.probeTimeoutMs ?? Math.min(1_000, cooldownMs);
  const policy = circuitBreaker(
    handleWhen(isTransientError).orWhenResult((reply) => isFailureStatus((reply as UpstreamReply).status)),
    { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(threshold) },
  );
  let openedAt = 0;
  let reported: CircuitState = 'closed';
  policy.onBreak(() => {
    openedAt = Date.now();
  });
  policy.onStateChange((next) => {
    const state = toState(next);
    if (state === reported) return;
    const previous = reported;
    reported = state;
    onStateChange?.(state, previous);
  });

  const state = (): CircuitState => {
    const current = toState(policy.state);
    // cockatiel half-opens on the next call; `/ready` shows the circuit is ready for that probe.
    return current === 'open' && Date.now() - openedAt >= cooldownMs ? 'half-open' : current;
  };

  const circuitOpen = (): UpstreamError => {
    const retryIn = Math.max(1, Math.ceil((openedAt + cooldownMs - Date.now()) / 1000));
    return new UpstreamError(
      `The upstream keeps failing, so the gateway has paused calls to it; retry in about ${retryIn} s.`,
      CIRCUIT_OPEN,
      null,
      null,
    );
  };

  const layer: SendLayer = (next) => async (request) => {
    if (policy.state === PolicyState.HalfOpen) throw circuitOpen();
    // Open past its cooldown: this call is the probe (cockatiel half-opens the circuit for it).
    const probing = policy.state === PolicyState.Open && Date.now() - openedAt >= cooldownMs;
    try {
      return await policy.execute(async () => {
        const reply = await (probing ? bounded(next, request, probeTimeoutMs) : next(request));
        // Neither success nor failure: thrown past the policy, which then does not count it.
        if (reply.status === 429) throw new Uncounted(reply);
        return reply;
      });
    } catch (error) {
      if (error instanceof Uncounted) return error.reply;
      if (error instanceof BrokenCircuitError) throw circuitOpen();
      throw error;
    }
  };

  return { layer, state };
}

/** `next(request)`, aborted for time (`Timeout`) after `timeoutMs` unless the request's own signal ends it first. */
async function bounded(next: Send, request: UpstreamRequest, timeoutMs: number): Promise<UpstreamReply> {
  const controller = new CallController(Math.min(request.signal?.deadlineAt ?? Number.POSITIVE_INFINITY, performance.now() + timeoutMs));
  const outer = request.signal;
  const follow = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener('abort', follow);
  const timer = setTimeout(() => controller.abort(new DOMException('The probe call took too long', 'TimeoutError')), timeoutMs);
  try {
    return await next({ ...request, signal: controller.signal });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', follow);
  }
}

class Uncounted {
  constructor(readonly reply: UpstreamReply) {}
}

function toState(state: PolicyState): CircuitState {
  if (state === PolicyState.Closed) return 'closed';
  if (state === PolicyState.HalfOpen) return 'half-open';
  return 'open';
}
