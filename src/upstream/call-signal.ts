import type { CallSignal } from './layer.js';

/**
 * An AbortController for signals that never leave the gateway's own code and undici (which takes
 * any object with `addEventListener`). Node's AbortSignal is an EventTarget: creating one and
 * adding or removing listeners cost 17–35 µs per uncached request (two signals, a few listeners),
 * against under 1 µs here. Listeners run once, in order, when `abort` is first called, like
 * `{ once: true }` ones; a listener added after the abort never runs, as on an EventTarget.
 */
export class CallController {
  readonly signal: CallSignal & { fire(reason: unknown): void };

  /** `deadlineAt`: when the owner will abort it for time (see `CallSignal.deadlineAt`), if it will. */
  constructor(deadlineAt?: number) {
    this.signal = new ListenerListSignal(deadlineAt);
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    this.signal.fire(reason);
  }
}

class ListenerListSignal implements CallSignal {
  aborted = false;
  reason: unknown = undefined;
  readonly deadlineAt: number | undefined;
  #listeners: (() => void)[] = [];

  constructor(deadlineAt: number | undefined) {
    this.deadlineAt = deadlineAt;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.#listeners.indexOf(listener);
    if (index !== -1) this.#listeners.splice(index, 1);
  }

  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }
}
