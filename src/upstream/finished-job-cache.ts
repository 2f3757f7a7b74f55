import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SharedStore } from '../redis/store.js';
import type { FetchedJob, FineTunesClient } from './client.js';
import type { UpstreamCredential } from './credential.js';

export interface JobCacheOptions {
  /** How long a SUCCEEDED, FAILED or CANCELED job is served from memory; 0 turns caching off. @default 300000 */
  finishedTtlMs: number;
  /** How long a job that is still running may be served from memory. @default 0 (never cached) */
  activeTtlMs: number;
  /** Most jobs kept, over all credentials (least recently used go first). @default 10000 */
  maxEntries: number;
}

/** Told of every lookup (the cache hit/miss metrics). */
export interface JobCacheObserver {
  hit(): void;
  miss(): void;
  /** A local miss the shared store (Redis) answered: also counted as a hit. */
  sharedHit?(): void;
  /** The shared store failed; the lookup or write went on per-process. */
  sharedFailure?(): void;
}

export interface JobCacheStats {
  hits: number;
  misses: number;
  /** Hits the shared store answered (included in `hits`). */
  sharedHits: number;
  size: number;
}

export interface CachingClient extends FineTunesClient {
  stats(): JobCacheStats;
  clear(): void;
}

/** How long this replica keeps its copy of a shared entry (see `withFinishedJobCache`). */
export const SHARED_LOCAL_TTL_MS = 5_000;

/** What the shared store holds per job: the reply and when the entry ends (Redis's expiry is the bound). */
interface SharedEntry {
  requestId: string | null;
  job: FetchedJob['job'];
  /** Epoch ms: the local copy of a shared entry ends when the shared one does. */
  expiresAt: number;
}

/**
 * Serves jobs that can no longer change from memory, so a dashboard that keeps asking for
 * finished jobs stops costing upstream calls. Entries are keyed by the credential's scope (key
 * digest + workspace) and the job id: an entry is never visible to another credential.
 * Jobs from list pages feed the cache too; lists themselves are never cached (new jobs appear).
 *
 * Actions keep it true. A cancel or delete drops the job's entry when it settles, whatever its
 * outcome; and a read that was in flight while any action ran is not remembered (it may have left
 * the upstream before the action changed the job), so the old state cannot come back afterwards.
 *
 * With a `shared` store (Redis, `REDIS_URL`), replicas share entries: a local miss asks the shared
 * store before the upstream, and what one replica fetched the others find there. Shared keys are a
 * digest of (scope, id), so neither a key nor its digest-able form is stored. The local LRU stays in
 * front (bounded), but keeps a shared entry at most `SHARED_LOCAL_TTL_MS`: a cancel or delete on
 * another replica drops the shared entry, and this replica's copy ends soon after. The shared store
 * keeps its own bound (`maxEntries`) and the full TTL. A shared store that fails is a miss: the
 * lookup goes on per-process, within the request's time (Redis commands time out after
 * `REDIS_COMMAND_TIMEOUT_MS`).
 */
export function withFinishedJobCache(
  client: FineTunesClient,
  options: JobCacheOptions,
  observer?: JobCacheObserver,
  shared?: SharedStore,
): CachingClient {
  const enabled = options.finishedTtlMs > 0 || options.activeTtlMs > 0;
  const cache = new LRUCache<string, FetchedJob>({ max: Math.max(1, options.maxEntries), ttlAutopurge: false });
  const remembered = new WeakSet<readonly unknown[]>();
  let hits = 0;
  let misses = 0;
  let sharedHits = 0;
  /** Moves when an action starts and when it settles: reads that saw it move are not remembered. */
  let epoch = 0;

  const keyOf = (credential: UpstreamCredential, id: string): string => `${credential.scope}\n${id}`;
  const sharedKeyOf = (key: string): string => createHash('sha256').update(key).digest('base64url');
  const remember = (credential: UpstreamCredential, fetched: FetchedJob): void => {
    const ttl = fetched.job.isTerminal ? options.finishedTtlMs : options.activeTtlMs;
    if (ttl <= 0) return;
    const key = keyOf(credential, fetched.job.id);
    // Already known here (e.g. listed again): the shared store has it too, or had it.
    const known = shared !== undefined && cache.has(key);
    cache.set(key, fetched, { ttl: localTtl(ttl) });
    if (shared === undefined || known) return;
    const entry: SharedEntry = { requestId: fetched.requestId, job: fetched.job, expiresAt: Date.now() + ttl };
    // Not awaited: the answer never waits for the write.
    shared.set(sharedKeyOf(key), JSON.stringify(entry), ttl).catch(() => observer?.sharedFailure?.());
  };
  const lookUpShared = async (key: string): Promise<FetchedJob | undefined> => {
    if (shared === undefined) return undefined;
    let text: string | null;
    try {
      text = await shared.get(sharedKeyOf(key));
    } catch {
      observer?.sharedFailure?.();
      return undefined;
    }
    if (text === null) return undefined;
    let entry: SharedEntry;
    try {
      entry = JSON.parse(text) as SharedEntry;
    } catch {
      return undefined;
    }
    const ttl = entry.expiresAt - Date.now();
    if (!(ttl > 0) || typeof entry.job?.id !== 'string') return undefined;
    const fetched: FetchedJob = { requestId: entry.requestId, job: entry.job };
    cache.set(key, fetched, { ttl: localTtl(ttl) });
    return fetched;
  };
  /** A local copy of what replicas share lives briefly: another replica's cancel or delete reaches it only through the shared store. */
  const localTtl = (ttl: number): number => (shared === undefined ? ttl : Math.min(ttl, SHARED_LOCAL_TTL_MS));
  /** An action on a job: reads in flight meanwhile are not remembered, and when it settles (whatever its outcome) the job's entry goes. */
  const acting = async <T>(credential: UpstreamCredential, id: string, send: () => Promise<T>): Promise<T> => {
    epoch += 1;
    try {
      return await send();
    } finally {
      epoch += 1;
      forget(credential, id);
    }
  };
  /** After an action: the job's entry goes, here and in the shared store. */
  const forget = (credential: UpstreamCredential, id: string): void => {
    const key = keyOf(credential, id);
    cache.delete(key);
    shared?.delete(sharedKeyOf(key)).catch(() => observer?.sharedFailure?.());
  };

  return {
    async getJob(id, credential, signal, recorder) {
      if (!enabled) return client.getJob(id, credential, signal, recorder);
      const key = keyOf(credential, id);
      const cached = cache.get(key);
      if (cached !== undefined) {
        hits += 1;
        observer?.hit();
        return cached;
      }
      const found = await lookUpShared(key);
      if (found !== undefined) {
        hits += 1;
        sharedHits += 1;
        observer?.hit();
        observer?.sharedHit?.();
        return found;
      }
      misses += 1;
      observer?.miss();
      const started = epoch;
      const fetched = await client.getJob(id, credential, signal, recorder);
      if (epoch === started) remember(credential, fetched);
      return fetched;
    },
    async listJobs(query, credential, signal, recorder) {
      const started = epoch;
      const page = await client.listJobs(query, credential, signal, recorder);
      // Callers that joined one in-flight call share its mapped entries: remember them once.
      if (enabled && epoch === started && !remembered.has(page.jobs)) {
        remembered.add(page.jobs);
        for (const job of page.jobs) remember(credential, { requestId: page.requestId, job });
      }
      return page;
    },
    // A job's log and checkpoints are read fresh: the log grows while the job runs, and an
    // export changes a checkpoint of a finished job.
    getJobLogs: (id, range, credential, signal, recorder) => client.getJobLogs(id, range, credential, signal, recorder),
    listCheckpoints: (id, credential, signal, recorder) => client.listCheckpoints(id, credential, signal, recorder),
    // An export changes a checkpoint, never the job; checkpoints are read fresh anyway.
    exportCheckpoint: (id, target, credential, signal, recorder) => client.exportCheckpoint(id, target, credential, signal, recorder),
    // A new job changes no entry: its id is new.
    createJob: (body, credential, signal, recorder) => client.createJob(body, credential, signal, recorder),
    cancelJob: (id, credential, signal, recorder) => acting(credential, id, () => client.cancelJob(id, credential, signal, recorder)),
    deleteJob: (id, credential, signal, recorder) => acting(credential, id, () => client.deleteJob(id, credential, signal, recorder)),
    stats: () => ({ hits, misses, sharedHits, size: cache.size }),
    clear: () => cache.clear(),
  };
}
