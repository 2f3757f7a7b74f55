import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Config } from './config.js';
import { type Context, createContext, createCredentialResolver } from './context.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import type { Logger } from './logger.js';
import { usePrivateCacheControl } from './plugins/use-private-cache-control.js';
import { schema } from './schema/index.js';
import type { CachingClient } from './upstream/finished-job-cache.js';
import { createUpstream } from './upstream/index.js';
import type { Transport } from './upstream/transport.js';

export interface GatewayDeps {
  logger: Logger;
  /** Replaces the undici transport (tests never need to: they use the simulator over HTTP). */
  transport?: Transport;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  client: CachingClient;
  /** Closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

const GRAPHQL_ENDPOINT = '/graphql';
/** Compiled operations kept; a frontend has a few dozen distinct operations. */
const JIT_CACHE_SIZE = 1000;

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const upstream = createUpstream(config, deps);
  const { client } = upstream;
  const contextDeps = { config, client, resolveCredential: createCredentialResolver(config) };

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => createContext(contextDeps, request),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    plugins: [
      // Compiles each distinct operation once to JavaScript; the profile showed graphql-js's
      // generic executor as the largest single cost per request.
      useGraphQlJit({}, { cache: new LRUCache({ max: JIT_CACHE_SIZE }) }),
      usePrivateCacheControl(GRAPHQL_ENDPOINT),
    ],
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: deps.logger,
    maskedErrors: { isDev: config.environment === 'development' },
    graphiql: {
      title: 'Fine-tuning jobs · GraphQL',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
    },
  });

  return {
    yoga,
    client,
    close: () => upstream.close(),
  };
}
