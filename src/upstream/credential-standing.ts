import { LRUCache } from 'lru-cache';
import type { UpstreamCredential } from './credential.js';
import { type CallSignal, type Send, type SendLayer, type UpstreamReply, abortedError } from './layer.js';

export interface CredentialStandingOptions {
  /** How long an upstream 401 is answered from memory for that credential; `0`: never remembered. */
  rejectedTtlMs: number;
  /** Most credentials remembered in each list (rejected, accepted); least recently used go first. @default 10000 */
  maxEntries?: number;
  /** How long a credential the upstream accepted stays known-good without a new accepted answer. @default 600000 */
  acceptedTtlMs?: number;
  /** Told when a remembered 401 answers a call (the call never reached the upstream). */
  onRemembered?: () => void;
}

export interface CredentialStanding {
  /** The outermost upstream layer: remembered 401s, and one probe call at a time for an unknown credential. */
  layer: SendLayer;
  /**
   * Who a call counts as in the bulkhead's fair shares (`concurrency-limit.ts`): a credential the
   * upstream accepted is its own lane (its digest, never the key); every credential not (yet)
   * accepted shares one lane, so made-up keys, however many, share one share.
   */
  laneOf(credential: UpstreamCredential): string;
}

/** The lane of every credential the upstream has not accepted (recently). */
export const UNVERIFIED_LANE = 'unverified';

interface Probe {
  done: Promise<void>;
}

/**
 * What the gateway knows about each credential from the upstream's answers, by its scope (a digest
 * of the key plus the workspace: keys are never kept).
 *
 * - An upstream **401** is remembered for `rejectedTtlMs`: during that time every call with that
 *   credential gets the same code and message at once (no `request_id`: there was no upstream
 *   call), with no upstream call.
 * - A credential neither accepted nor rejected is **probed**: one call at a time goes upstream;
 *   the others with that credential wait for its answer (each within its own deadline). So a
 *   made-up key costs the upstream one call, even through an `_entities` call with 100 ids.
 * - Any other answer but a 403, a 429 or a 5xx **accepts** it: it then calls without waiting, and
 *   gets its own lane in the bulkhead's fair shares.
 */
export function createCredentialStanding(options: CredentialStandingOptions): CredentialStanding {
  const maxEntries = options.maxEntries ?? 10_000;
  const rejected = options.rejectedTtlMs > 0 ? new LRUCache<string, UpstreamReply>({ max: maxEntries, ttl: options.rejectedTtlMs }) : null;
  const accepted = new LRUCache<string, true>({ max: maxEntries, ttl: options.acceptedTtlMs ?? 600_000 });
  const probes = new Map<string, Probe>();

  const learn = (scope: string, reply: UpstreamReply): void => {
    if (reply.status === 401) {
      accepted.delete(scope);
      rejected?.set(scope, remembered(reply));
    } else if (reply.status < 500 && reply.status !== 403 && reply.status !== 429) {
      rejected?.delete(scope);
      accepted.set(scope, true);
    }
  };

  const layer: SendLayer =
    (next: Send): Send =>
    async (request) => {
      const { scope } = request.credential;
      for (;;) {
        const remembered = rejected?.get(scope);
        if (remembered !== undefined) {
          options.onRemembered?.();
          return remembered;
        }
        if (accepted.has(scope)) {
          const reply = await next(request);
          learn(scope, reply);
          return reply;
        }
        const probe = probes.get(scope);
        if (probe === undefined) break;
        // Someone is already asking the upstream about this credential: wait for its answer.
        await waitFor(probe.done, request.signal);
      }
      let settle = (): void => undefined;
      const probe: Probe = { done: new Promise<void>((resolve) => (settle = resolve)) };
      probes.set(scope, probe);
      try {
        const reply = await next(request);
        learn(scope, reply);
        return reply;
      } finally {
        // A failed probe (5xx, timeout, the caller leaving) lets the next waiter probe instead.
        probes.delete(scope);
        settle();
      }
    };

  return { layer, laneOf: (credential) => (accepted.has(credential.scope) ? credential.scope : UNVERIFIED_LANE) };
}

/**
 * The 401 as it is answered from memory: the vendor's code and message, but no `request_id` (and
 * none of the reply's headers): no upstream request stands behind a remembered answer.
 */
function remembered(reply: UpstreamReply): UpstreamReply {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    body = null;
  }
  const { code, message } = typeof body === 'object' && body !== null ? (body as { code?: unknown; message?: unknown }) : {};
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: typeof code === 'string' ? code : 'InvalidApiKey', ...(typeof message === 'string' ? { message } : {}) }),
  };
}

function waitFor(done: Promise<void>, signal: CallSignal | undefined): Promise<void> {
  if (signal === undefined) return done;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    void done.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
