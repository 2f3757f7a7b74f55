import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext, createCredentialResolver } from './context.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import type { Logger } from './logger.js';
import { useCompiledExecution } from './plugins/use-compiled-execution.js';
import { usePrivateCacheControl } from './plugins/use-private-cache-control.js';
import type { CachingClient } from './upstream/finished-job-cache.js';
import { createSchema } from './schema/index.js';
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

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const upstream = createUpstream(config, deps);
  const { client } = upstream;
  const contextDeps = { config, client, resolveCredential: createCredentialResolver(config) };

  const yoga = createYoga<Record<string, never>, Context>({
    // Built once per process and prefix, never per request.
    schema: createSchema({ typePrefix: config.typePrefix }),
    context: ({ request }) => createContext(contextDeps, request),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    plugins: [
      useCompiledExecution(),
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
