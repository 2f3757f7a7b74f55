import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext } from './context.js';
import { GRAPHIQL_OPTIONS, createGraphiQLRenderer } from './graphiql.js';
import { type JobStatusHub, createJobStatusHub } from './live/job-status-hub.js';
import type { Logger } from './logger.js';
import { DOCUMENT_ID_PARAM, loadPersistedOperations, usePersistedOperationsManifest } from './persisted-operations.js';
import { schema } from './schema/index.js';
import type { FineTunesClient } from './upstream/client.js';
import { createUpstream } from './upstream/index.js';
import type { Transport } from './upstream/transport.js';

export interface GatewayDeps {
  logger: Logger;
  /** Replaces the undici transport (tests never need to: they use the simulator over HTTP). */
  transport?: Transport;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  client: FineTunesClient;
  /** The pollers behind the `fineTuneStatus` subscription. */
  jobStatus: JobStatusHub;
  /** Stops the job pollers, then closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

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

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => createContext({ config, client, jobStatus }, request),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: deps.logger,
    maskedErrors: { isDev: config.environment === 'development' },
    extraParamNames: persistedOperations ? [DOCUMENT_ID_PARAM] : [],
    plugins: persistedOperations
      ? [usePersistedOperationsManifest({ operations: persistedOperations, only: config.persistedOperationsOnly })]
      : [],
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
