import { UpstreamError } from '../errors.js';
import type { SendLayer } from './index.js';
import { abortedError } from './transport.js';
import type { AbortSignalLike } from './abort.js';

/** The code of the error a call gets when the wait queue is full. */
export const OVERLOADED = 'Overloaded';

export interface ConcurrencyLimitOptions {
  /** Calls in flight at once. */
  max: number;
  /** Calls allowed to wait for a slot; one more fails at once with `Overloaded`. */
  queue: number;
}

export interface ConcurrencyLimit {
  layer: SendLayer;
  active(): number;
  queued(): number;
}

interface Waiter {
  grant(): void;
}

/**
 * A bulkhead for one upstream origin: at most `max` calls in flight, at most `queue` waiting
 * (first come, first served), and every other call refused at once instead of piling up. A waiting
 * call leaves the queue as soon as its signal ends (deadline or client gone), so nobody waits past
 * their own deadline for a slot they no longer need.
 */
export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  const { max, queue } = options;
  let active = 0;
  const waiting: Waiter[] = [];

  const acquire = (signal: AbortSignalLike | undefined): Promise<void> => {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (active < max) {
      active += 1;
      return Promise.resolve();
    }
    if (waiting.length >= queue) {
      return Promise.reject(
        new UpstreamError(
          `The gateway is overloaded: ${max} upstream calls are in flight and ${queue} waiting. Retry shortly.`,
          OVERLOADED,
          null,
          null,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = waiting.indexOf(waiter);
        if (index !== -1) waiting.splice(index, 1);
        reject(abortedError(signal as AbortSignalLike));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(waiter);
    });
  };

  // A freed slot passes straight to the next waiter, so `active` never dips below the demand.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next.grant();
    else active -= 1;
  };

  const layer: SendLayer = (next) => async (request) => {
    await acquire(request.signal);
    try {
      return await next(request);
    } finally {
      release();
    }
  };

  return { layer, active: () => active, queued: () => waiting.length };
}
