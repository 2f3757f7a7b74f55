import { LRUCache } from 'lru-cache';

/**
 * Where `createFineTune`'s idempotency keys live. Async throughout, so that a store shared by
 * replicas (Redis, `REDIS_URL`) can replace the in-process one without touching its callers.
 *
 * Protocol: a caller `claim`s a key for an input (its fingerprint). `claimed`: it alone creates,
 * then `complete`s the key with the outcome, or `release`s it when nothing was created (so the key
 * may be used again). `done`: the key already holds an outcome, to be answered again. `busy`:
 * another caller is creating with this key right now; `settled` resolves with its outcome, or null
 * when it released the key (then claim again).
 */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string): Promise<Claim>;
  complete(key: string, entry: IdempotencyEntry): Promise<void>;
  release(key: string): Promise<void>;
}

export type Claim =
  | { state: 'claimed' }
  | { state: 'done'; entry: IdempotencyEntry }
  | { state: 'busy'; fingerprint: string; settled: Promise<IdempotencyEntry | null> };

/** What a key remembers: plain JSON, so that any store can keep it. */
export interface IdempotencyEntry {
  /** The digest of the create's input: the same key with another input is refused. */
  fingerprint: string;
  outcome: IdempotencyOutcome;
}

export type IdempotencyOutcome =
  /** The create made this job. */
  | { kind: 'job'; jobId: string }
  /** The create may have reached the upstream, but its answer was lost (5xx, timeout, reset). */
  | { kind: 'unknown'; error: { message: string; code: string; requestId: string | null; httpStatus: number | null } };

export interface MemoryIdempotencyStoreOptions {
  /** Keys remembered at most (least recently used go first), and creates in progress at most. */
  maxKeys: number;
  /** How long a key is remembered. @default 24 h */
  ttlMs?: number;
}

/** The key could not be claimed: too many creates with keys are in progress at once. */
export class IdempotencyStoreFull extends Error {
  override name = 'IdempotencyStoreFull';
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

interface Pending {
  fingerprint: string;
  settled: Promise<IdempotencyEntry | null>;
  settle(entry: IdempotencyEntry | null): void;
}

/** The in-process store: bounded (an LRU of `maxKeys` outcomes, at most `maxKeys` in progress). */
export function createMemoryIdempotencyStore(options: MemoryIdempotencyStoreOptions): IdempotencyStore {
  const done = new LRUCache<string, IdempotencyEntry>({ max: Math.max(1, options.maxKeys), ttl: options.ttlMs ?? IDEMPOTENCY_TTL_MS });
  const pending = new Map<string, Pending>();

  const settle = (key: string, entry: IdempotencyEntry | null): void => {
    const waiting = pending.get(key);
    pending.delete(key);
    waiting?.settle(entry);
  };

  return {
    async claim(key, fingerprint) {
      const entry = done.get(key);
      if (entry !== undefined) return { state: 'done', entry };
      const running = pending.get(key);
      if (running !== undefined) return { state: 'busy', fingerprint: running.fingerprint, settled: running.settled };
      if (pending.size >= options.maxKeys) throw new IdempotencyStoreFull('Too many creates with an idempotency key are in progress.');
      let resolve!: (entry: IdempotencyEntry | null) => void;
      const settled = new Promise<IdempotencyEntry | null>((done) => {
        resolve = done;
      });
      pending.set(key, { fingerprint, settled, settle: resolve });
      return { state: 'claimed' };
    },
    async complete(key, entry) {
      done.set(key, entry);
      settle(key, entry);
    },
    async release(key) {
      settle(key, null);
    },
  };
}
