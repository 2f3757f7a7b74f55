import { CallController } from './call-signal.js';
import { type CallSignal, type Send, type SendLayer, type UpstreamReply, abortedError, isIdempotent } from './layer.js';

interface Flight {
  scope: string;
  reply: Promise<UpstreamReply>;
  controller: CallController;
  waiters: number;
}

/**
 * Concurrent identical GETs for the same credential share one upstream call. The key includes the
 * credential's scope, so callers with different keys or workspaces never share a reply.
 *
 * The shared call is aborted when every caller waiting for it has given up (each caller's own
 * deadline still applies to that caller), so one impatient caller cannot fail the others; and, in
 * any case, when its own deadline (`timeoutMs`, one operation's upstream budget) passes. Without
 * that bound, a reply that drips (a byte at a time: never a gap long enough for undici's body
 * timeout) kept its call, and its concurrency slot, alive as long as new callers kept joining it:
 * a dashboard asking every few seconds held slots until the limit was full and every job timed out.
 *
 * Actions (`idempotent: false`) are never shared: each goes through on its own, however alike two
 * of them look. When one settles, the reads of that credential in flight stop being joinable: they
 * may have started before the action changed the job (or the list), so a caller arriving after the
 * action starts a call of its own instead of getting the old state. Their callers still get them.
 */
export function createSharedInflight(timeoutMs: number): SendLayer {
  return (next) => shareInflight(next, timeoutMs);
}

function shareInflight(next: Send, timeoutMs: number): Send {
  const flights = new Map<string, Flight>();
  const forget = (scope: string): void => {
    for (const [key, flight] of flights) if (flight.scope === scope) flights.delete(key);
  };
  return (request) => {
    if (!isIdempotent(request)) {
      const { scope } = request.credential;
      return next(request).finally(() => forget(scope));
    }
    const key = `${request.credential.scope}\n${request.method ?? 'GET'} ${request.path}`;
    let flight = flights.get(key);
    if (flight === undefined) {
      // The first caller's deadline, if sooner: a layer that may wait (the rate budget) waits only within it.
      const deadlineAt = Math.min(performance.now() + timeoutMs, request.signal?.deadlineAt ?? Number.POSITIVE_INFINITY);
      const controller = new CallController(deadlineAt);
      const deadline = setTimeout(
        () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        timeoutMs,
      );
      deadline.unref();
      const created: Flight = {
        scope: request.credential.scope,
        controller,
        waiters: 0,
        reply: next({ ...request, signal: controller.signal, deadlineAt }).finally(() => {
          clearTimeout(deadline);
          if (flights.get(key) === created) flights.delete(key);
        }),
      };
      // Every caller may have given up by the time it settles: never leave the rejection unhandled.
      created.reply.catch(() => undefined);
      flights.set(key, created);
      flight = created;
    }
    return wait(flight, request.signal);
  };
}

function wait(flight: Flight, signal: CallSignal | undefined): Promise<UpstreamReply> {
  flight.waiters += 1;
  if (signal === undefined) return flight.reply.finally(() => (flight.waiters -= 1));
  if (signal.aborted) {
    leave(flight, signal.reason);
    return Promise.reject(abortedError(signal));
  }
  return new Promise<UpstreamReply>((resolve, reject) => {
    const onAbort = (): void => {
      leave(flight, signal.reason);
      reject(abortedError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    flight.reply.then(
      (reply) => {
        signal.removeEventListener('abort', onAbort);
        flight.waiters -= 1;
        resolve(reply);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        flight.waiters -= 1;
        reject(error);
      },
    );
  });
}

/** The last caller to give up aborts the shared call, with its reason (a deadline stays a timeout). */
function leave(flight: Flight, reason: unknown): void {
  flight.waiters -= 1;
  if (flight.waiters === 0) flight.controller.abort(reason);
}
