import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext, createCredentialResolver } from './context.js';
import { GRAPHIQL_OPTIONS, createGraphiQLRenderer } from './graphiql.js';
import { type JobStatusHub, createJobStatusHub } from './live/job-status-hub.js';
import type { Logger } from './logger.js';
import { DOCUMENT_ID_PARAM, loadPersistedOperations, usePersistedOperationsManifest } from './persisted-operations.js';
import { useCompiledExecution } from './plugins/use-compiled-execution.js';
import { usePrivateCacheControl } from './plugins/use-private-cache-control.js';
import { createSchema } from './schema/index.js';
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
  /** The pollers behind the `fineTuneStatus` subscription. */
  jobStatus: JobStatusHub;
  /** Stops the job pollers, then closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

const GRAPHQL_ENDPOINT = '/graphql';

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  // First, so a bad manifest fails start-up before anything is opened.
  const persistedOperations =
    config.persistedOperationsManifest === undefined ? null : loadPersistedOperations(config.persistedOperationsManifest);
  const upstream = createUpstream(config, deps);
  const { client } = upstream;
  const jobStatus = createJobStatusHub({
    client,
    utcOffset: config.utcOffset,
    intervalMs: config.pollIntervalMs,
    timeoutMs: config.timeoutMs,
    logger: deps.logger,
  });
  const contextDeps = { config, client, jobStatus, resolveCredential: createCredentialResolver(config) };

  const yoga = createYoga<Record<string, never>, Context>({
    // Built once per process and prefix, never per request.
    schema: createSchema({ typePrefix: config.typePrefix }),
    context: ({ request }) => createContext(contextDeps, request),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: deps.logger,
    maskedErrors: { isDev: config.environment === 'development' },
    extraParamNames: persistedOperations ? [DOCUMENT_ID_PARAM] : [],
    plugins: [
      // Early: it turns a document id into the query text the other plugins see.
      ...(persistedOperations
        ? [usePersistedOperationsManifest({ operations: persistedOperations, only: config.persistedOperationsOnly })]
        : []),
      useCompiledExecution(),
      usePrivateCacheControl(GRAPHQL_ENDPOINT),
    ],
    // GraphiQL cannot work where only trusted documents run (not even its introspection query).
    graphiql: config.persistedOperationsOnly ? false : GRAPHIQL_OPTIONS,
    renderGraphiQL: createGraphiQLRenderer(),
  });

  let closing: Promise<void> | undefined;
  return {
    yoga,
    client,
    jobStatus,
    close: () => {
      closing ??= (async () => {
        jobStatus.close();
        await upstream.close();
      })();
      return closing;
    },
  };
}
