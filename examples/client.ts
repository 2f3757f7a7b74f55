import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/**
 * The smallest useful typed GraphQL client: what `fetch` plus the codegen'd `TypedDocumentNode`s
 * give a frontend. Apollo Client, urql and graphql-request accept the same documents.
 */
export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /**
   * Send only the document's id from the trusted-documents manifest instead of its text (what a
   * gateway with `PERSISTED_OPERATIONS_ONLY=true` requires). @default false
   */
  persisted?: boolean;
  /** Extra headers, e.g. `authorization` when the gateway forwards the caller's DashScope key. */
  headers?: Record<string, string>;
}

export interface GatewayClient {
  /** Runs a query; resolves with its typed `data`, rejects on a transport or GraphQL error. */
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables): Promise<TResult>;
}

/** `errors[]` in a response: a bug or a refused request, never an expected failure (those are data). */
export class GraphQLRequestError extends Error {
  override name = 'GraphQLRequestError';
  constructor(
    readonly status: number,
    readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[],
  ) {
    super(`HTTP ${status}: ${errors.map((error) => error.message).join('; ') || 'no data'}`);
  }
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return {
    async request(document, variables) {
      const body = options.persisted ? { documentId: documentIdOf(document), variables } : { query: print(document), variables };
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...options.headers },
        body: JSON.stringify(body),
      });
      const result = (await response.json()) as { data?: unknown; errors?: GraphQLRequestError['errors'] };
      if (result.errors?.length || result.data == null) throw new GraphQLRequestError(response.status, result.errors ?? []);
      return result.data as never;
    },
  };
}

/** The client preset (`persistedDocuments`) stores each document's manifest id in `__meta__.hash`. */
function documentIdOf(document: object): string {
  const id = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof id !== 'string') throw new Error('This document has no persisted id: generate it with persistedDocuments enabled.');
  return id;
}
