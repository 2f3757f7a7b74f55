import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SharedStore } from '../redis/store.js';

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

export interface SharedIdempotencyStoreOptions {
  /** Where a key's outcome is kept for `ttlMs` (bounded by the store). */
  done: SharedStore;
  /** Where a key being created with is marked, for `pendingTtlMs` at most (bounded by the store). */
  pending: SharedStore;
  /**
   * How long a claim marks its key: longer than the create's own deadline, so the marker outlives
   * any create still running; a claimer that dies leaves a marker that expires after it.
   */
  pendingTtlMs: number;
  /** How long a key is remembered. @default 24 h */
  ttlMs?: number;
  /** How often a waiting caller looks at a key another replica is creating with. @default 50 ms */
  pollMs?: number;
}

interface PendingMarker {
  fingerprint: string;
  /** This claim's own token: a release removes its own marker only. */
  claim: string;
}

/**
 * The store shared by replicas (Redis, `REDIS_URL`; see `server.ts`), on two `SharedStore`s: the
 * claim is an atomic `setIfAbsent` of a pending marker (with a TTL past the create's deadline),
 * the outcome is written for 24 h and then the marker removed. A caller that finds a key pending,
 * on any replica, polls it (`pollMs`) until it holds an outcome (that caller answers the same job),
 * or is free again (released, or its marker expired: claim again); a caller stops waiting at its own
 * deadline. Keys are the caller's (`fine-tune-actions.ts` derives them from the credential's digest
 * and the idempotency key, hashed); values hold the input's digest and the job id or lost answer.
 */
export function createSharedIdempotencyStore(options: SharedIdempotencyStoreOptions): IdempotencyStore {
  const { done, pending, pendingTtlMs } = options;
  const ttlMs = options.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const pollMs = options.pollMs ?? 50;
  /** This process's own claims: key -> token. */
  const mine = new Map<string, string>();

  const outcome = async (key: string): Promise<IdempotencyEntry | null> => parse<IdempotencyEntry>(await done.get(key));

  /** Resolves with the key's outcome, or null once nobody is creating with it (for one pending TTL at most). */
  const settle = async (key: string): Promise<IdempotencyEntry | null> => {
    const until = Date.now() + pendingTtlMs;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const entry = await outcome(key);
      if (entry !== null) return entry;
      if ((await pending.get(key)) === null) return outcome(key);
    }
    return null;
  };

  return {
    async claim(key, fingerprint) {
      const entry = await outcome(key);
      if (entry !== null) return { state: 'done', entry };
      const token = randomUUID();
      const marker: PendingMarker = { fingerprint, claim: token };
      if (await pending.setIfAbsent(key, JSON.stringify(marker), pendingTtlMs)) {
        // Completed between the two looks (the outcome is written before the marker goes): answer it.
        const late = await outcome(key);
        if (late !== null) {
          await pending.delete(key);
          return { state: 'done', entry: late };
        }
        mine.set(key, token);
        return { state: 'claimed' };
      }
      const running = parse<PendingMarker>(await pending.get(key));
      // Gone between the two looks: whatever settled it, the next claim finds out.
      // A waiter that gave up (its deadline) leaves the polling to end by itself (one pending TTL at
      // most); a store failure while polling is "claim again".
      const settled = settle(key).catch(() => null);
      return { state: 'busy', fingerprint: running?.fingerprint ?? fingerprint, settled };
    },
    async complete(key, entry) {
      mine.delete(key);
      await done.set(key, JSON.stringify(entry), ttlMs);
      await pending.delete(key);
    },
    async release(key) {
      const token = mine.get(key);
      mine.delete(key);
      const marker = parse<PendingMarker>(await pending.get(key));
      // Only our own marker: once it expired, another caller's claim is not ours to remove.
      if (marker !== null && marker.claim === token) await pending.delete(key);
    },
  };
}

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
