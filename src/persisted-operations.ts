import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultExtractPersistedOperationId, usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from './config.js';

/**
 * Trusted documents. The frontend's build (`npm run codegen`, client preset with
 * `persistedDocuments`) writes a manifest `{ "sha256:<hex>": "<document>" }`; the gateway loads it
 * at start-up, and clients send only the identifier, in either of the two common shapes:
 * - `{"documentId": "sha256:<hex>", "variables": {…}}` (GraphQL over HTTP, persisted documents
 *   appendix; what the client preset's `__meta__.hash` holds), POST only;
 * - `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}` (Apollo's APQ
 *   shape, which Apollo Client and urql send), POST or GET.
 * In "only" mode nothing else runs, so the public API is exactly the operations the frontend ships.
 */

/**
 * Document texts by the hex SHA-256 of their text. Texts, not parsed documents: Yoga's plugin runs a
 * text through the usual parse and validation caches, while a parsed document would be cached under
 * the placeholder text `__PERSISTED_OPERATION_<hash>__`, which any client can also send as a query,
 * filling that cache entry with a syntax error every later request by id would get.
 */
export type PersistedOperations = ReadonlyMap<string, string>;

/** The request body field carrying a document identifier; Yoga must be told to accept it. */
export const DOCUMENT_ID_PARAM = 'documentId';

const SHA256_PREFIX = 'sha256:';

/** The hex SHA-256 a document id names: the client preset writes `sha256:<hex>`, Apollo's APQ the bare hex. */
export function hexOfDocumentId(id: string): string {
  return id.startsWith(SHA256_PREFIX) ? id.slice(SHA256_PREFIX.length) : id;
}

/**
 * Reads and checks a manifest: every key must be the SHA-256 of its document (a manifest edited by
 * hand or built with another hash would otherwise trust the wrong text), every document must parse.
 */
export function loadPersistedOperations(path: string): PersistedOperations {
  const problem = (detail: string) => new ConfigError([`PERSISTED_OPERATIONS_MANIFEST ${JSON.stringify(path)}: ${detail}`]);
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw problem(`cannot be read as JSON (${(error as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw problem('must be a JSON object of { "<sha256>": "<document>" }');
  }
  const operations = new Map<string, string>();
  const problems: string[] = [];
  for (const [id, document] of Object.entries(manifest)) {
    const hash = hexOfDocumentId(id);
    if (typeof document !== 'string') {
      problems.push(`entry ${id} is not a string`);
      continue;
    }
    if (createHash('sha256').update(document).digest('hex') !== hash) {
      problems.push(`entry ${id} is not the SHA-256 of its document`);
      continue;
    }
    try {
      parse(document);
      operations.set(hash, document);
    } catch (error) {
      problems.push(`entry ${id} does not parse (${(error as Error).message})`);
    }
  }
  if (problems.length > 0) throw problem(problems.join('; '));
  if (operations.size === 0) throw problem('has no operations');
  return operations;
}

/**
 * The hex id a request names its trusted document by, in either shape (see above); undefined when
 * it names none, null when it names one in a shape this gateway does not read (left to Yoga).
 */
export function persistedOperationId(params: { documentId?: unknown; extensions?: unknown }): string | null | undefined {
  const { documentId, extensions } = params;
  if (documentId !== undefined) {
    if (typeof documentId !== 'string') return null;
    return hexOfDocumentId(documentId);
  }
  const apq =
    typeof extensions === 'object' && extensions !== null ? (extensions as { persistedQuery?: unknown }).persistedQuery : undefined;
  if (apq === undefined) return undefined;
  const { version, sha256Hash } = (apq ?? {}) as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? hexOfDocumentId(sha256Hash) : null;
}

export interface PersistedOperationsOptions {
  operations: PersistedOperations;
  /** Refuse any document sent as text. @default false */
  only: boolean;
}

/** Yoga's persisted-operations plugin over a loaded manifest; refusals cost no upstream call. */
export function usePersistedOperationsManifest(options: PersistedOperationsOptions): Plugin {
  const { operations, only } = options;
  return usePersistedOperations({
    getPersistedOperation: (hash) => operations.get(hash) ?? null,
    extractPersistedOperationId: (params, request, context) => {
      const documentId = (params as { [DOCUMENT_ID_PARAM]?: unknown })[DOCUMENT_ID_PARAM];
      if (typeof documentId === 'string') return hexOfDocumentId(documentId);
      // APQ's shape, with `__meta__.hash` as the hash (the client preset's own recipe for Apollo
      // Client and urql) carries the prefix too.
      const hash = defaultExtractPersistedOperationId(params, request, context);
      return hash === null ? null : hexOfDocumentId(hash);
    },
    allowArbitraryOperations: !only,
    customErrors: {
      persistedQueryOnly: {
        message: 'This gateway only runs trusted documents: send the documentId of an operation in its manifest instead of the query text.',
        extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
      },
      // The message APQ-aware clients (Apollo, urql) recognise.
      notFound: { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } } },
      keyNotFound: {
        message: 'Send a query, or the documentId of a trusted document.',
        extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED', http: { status: 400 } },
      },
    },
  });
}
