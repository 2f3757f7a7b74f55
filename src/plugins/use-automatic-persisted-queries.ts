import { createHash } from 'node:crypto';
import { type APQStore, useAPQ } from '@graphql-yoga/plugin-apq';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { ApqConfig } from '../config.js';
import { type PersistedOperations, hexOfDocumentId } from '../persisted-operations.js';
import type { SharedStore } from '../redis/store.js';

/**
 * Automatic persisted queries, as Apollo Client's `PersistedQueryLink` (and urql's
 * `persistedExchange`) send them: a request carries `extensions.persistedQuery.sha256Hash` and no
 * text; the gateway answers `PersistedQueryNotFound` for a hash it does not know, the client sends
 * the text once with the hash, and from then on the hash alone runs it (one round trip).
 *
 * Yoga's APQ plugin over a bounded store: at most `maxEntries` texts and `maxBytes` bytes of them,
 * least recently used dropped (a dropped text costs its client one more round trip, nothing else).
 * A hash in the trusted-documents manifest is found first, so the manifest's ids run in one round
 * trip from the start, with or without the `sha256:` prefix the client preset writes into
 * `__meta__.hash`.
 *
 * The stored text is only a text: a request by hash goes through the same parse, validation and
 * operation limits as any text (they run after `onParams`), so a text the limits refuse is refused
 * by hash too. Texts are public (their hash is their name), so one shared store leaks nothing
 * between tenants. Not installed where only trusted documents run (`PERSISTED_OPERATIONS_ONLY`):
 * registering is sending a text.
 *
 * With a `shared` store (Redis, `REDIS_URL`), a text registered on one replica runs by hash on every
 * replica (see `createApqStore`).
 */
export function useAutomaticPersistedQueries(config: ApqConfig, trusted: PersistedOperations | null, shared?: SharedApqStore): Plugin {
  const apq = useAPQ({ store: createApqStore(config, trusted, shared), hash: sha256Hex });
  const onParams = apq.onParams!;
  return {
    // The plugin's hook is async: requests without the extension (most) skip it and stay synchronous.
    onParams: (payload) => (hasPersistedQuery(payload.params.extensions) ? onParams(payload) : undefined),
  };
}

function hasPersistedQuery(extensions: unknown): boolean {
  return typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions;
}

/** How long a registered text stays in the shared store (each registration starts it again). */
export const APQ_SHARED_TTL_MS = 24 * 3600_000;

/** The replicas' common store of registered texts (Redis), and how a failure of it is counted. */
export interface SharedApqStore {
  store: SharedStore;
  onFailure?: () => void;
}

/**
 * The store behind the plugin: the manifest's documents, then the texts clients registered here
 * (a bounded LRU), then, with a `shared` store, the texts registered on any replica. A text found
 * in the shared store is kept in the local LRU too; a text registered here is written to both
 * (awaited, so a client's next request by hash finds it on any replica), for `APQ_SHARED_TTL_MS`.
 * The shared store keeps its own bound (`maxEntries`); a text the local LRU would not keep
 * (larger than `maxBytes`) is not shared either. A text read from the shared store is checked
 * against its hash. A shared store that fails is a miss and a write kept locally: per-process APQ.
 */
export function createApqStore(config: ApqConfig, trusted: PersistedOperations | null, shared?: SharedApqStore): APQStore {
  const registered = new LRUCache<string, string>({
    max: config.maxEntries,
    maxSize: config.maxBytes,
    sizeCalculation: (text) => Math.max(1, Buffer.byteLength(text)),
  });
  const local = (hash: string): string | undefined => trusted?.get(hexOfDocumentId(hash)) ?? registered.get(hash);
  if (shared === undefined) {
    return {
      get: local,
      // A text larger than the whole store is not kept (lru-cache refuses it): its client keeps paying two round trips.
      set: (hash, text) => {
        registered.set(hash, text);
      },
    };
  }
  const { store, onFailure } = shared;
  return {
    get: (hash) => local(hash) ?? lookUpShared(hash),
    set: async (hash, text) => {
      registered.set(hash, text);
      if (Buffer.byteLength(text) > config.maxBytes) return;
      try {
        await store.set(hash, text, APQ_SHARED_TTL_MS);
      } catch {
        onFailure?.();
      }
    },
  };

  async function lookUpShared(hash: string): Promise<string | null> {
    let text: string | null;
    try {
      text = await store.get(hash);
    } catch {
      onFailure?.();
      return null;
    }
    // Only a text whose hash is its name: whatever else wrote under the prefix never runs as another query.
    if (text === null || sha256Hex(text) !== hash) return null;
    registered.set(hash, text);
    return text;
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
