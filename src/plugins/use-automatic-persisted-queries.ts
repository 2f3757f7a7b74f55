import { createHash } from 'node:crypto';
import { type APQStore, useAPQ } from '@graphql-yoga/plugin-apq';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { ApqConfig } from '../config.js';
import { type PersistedOperations, hexOfDocumentId } from '../persisted-operations.js';

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
 */
export function useAutomaticPersistedQueries(config: ApqConfig, trusted: PersistedOperations | null): Plugin {
  const apq = useAPQ({ store: createApqStore(config, trusted), hash: sha256Hex });
  const onParams = apq.onParams!;
  return {
    // The plugin's hook is async: requests without the extension (most) skip it and stay synchronous.
    onParams: (payload) => (hasPersistedQuery(payload.params.extensions) ? onParams(payload) : undefined),
  };
}

function hasPersistedQuery(extensions: unknown): boolean {
  return typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions;
}

/** The store behind the plugin: the manifest's documents, then the texts clients registered. */
export function createApqStore(config: ApqConfig, trusted: PersistedOperations | null): APQStore {
  const registered = new LRUCache<string, string>({
    max: config.maxEntries,
    maxSize: config.maxBytes,
    sizeCalculation: (text) => Math.max(1, Buffer.byteLength(text)),
  });
  return {
    get: (hash) => trusted?.get(hexOfDocumentId(hash)) ?? registered.get(hash),
    // A text larger than the whole store is not kept (lru-cache refuses it): its client keeps paying two round trips.
    set: (hash, text) => {
      registered.set(hash, text);
    },
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
