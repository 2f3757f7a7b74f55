import { LRUCache } from 'lru-cache';
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
}

export interface JobCacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface CachingClient extends FineTunesClient {
  stats(): JobCacheStats;
  clear(): void;
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
 */
export function withFinishedJobCache(client: FineTunesClient, options: JobCacheOptions, observer?: JobCacheObserver): CachingClient {
  const enabled = options.finishedTtlMs > 0 || options.activeTtlMs > 0;
  const cache = new LRUCache<string, FetchedJob>({ max: Math.max(1, options.maxEntries), ttlAutopurge: false });
  const remembered = new WeakSet<readonly unknown[]>();
  let hits = 0;
  let misses = 0;
  /** Moves when an action starts and when it settles: reads that saw it move are not remembered. */
  let epoch = 0;

  const keyOf = (credential: UpstreamCredential, id: string): string => `${credential.scope}\n${id}`;
  const remember = (credential: UpstreamCredential, fetched: FetchedJob): void => {
    const ttl = fetched.job.isTerminal ? options.finishedTtlMs : options.activeTtlMs;
    if (ttl > 0) cache.set(keyOf(credential, fetched.job.id), fetched, { ttl });
  };

  return {
    async getJob(id, credential, signal, recorder) {
      if (!enabled) return client.getJob(id, credential, signal, recorder);
      const cached = cache.get(keyOf(credential, id));
      if (cached !== undefined) {
        hits += 1;
        observer?.hit();
        return cached;
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
    async cancelJob(id, credential, signal, recorder) {
      epoch += 1;
      try {
        return await client.cancelJob(id, credential, signal, recorder);
      } finally {
        epoch += 1;
        cache.delete(keyOf(credential, id));
      }
    },
    async deleteJob(id, credential, signal, recorder) {
      epoch += 1;
      try {
        return await client.deleteJob(id, credential, signal, recorder);
      } finally {
        epoch += 1;
        cache.delete(keyOf(credential, id));
      }
    },
    stats: () => ({ hits, misses, size: cache.size }),
    clear: () => cache.clear(),
  };
}
