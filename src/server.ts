import type { TracerProvider } from '@opentelemetry/api';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext } from './context.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import type { Logger } from './logger.js';
import { schema } from './schema/index.js';
import { type GatewayMetrics, createMetrics, useGraphQLMetrics } from './telemetry/metrics.js';
import { createRequestTelemetry } from './telemetry/request-telemetry.js';
import { TRACER_NAME } from './telemetry/tracing.js';
import type { FineTunesClient } from './upstream/client.js';
import { createUpstream } from './upstream/index.js';
import type { Transport } from './upstream/transport.js';

export interface GatewayDeps {
  logger: Logger;
  /** The gateway's metrics; created (with their own registry) when not given. */
  metrics?: GatewayMetrics;
  /** Tracing is on when a provider is given (`main.ts` builds one from `config.tracing`). */
  tracerProvider?: TracerProvider | undefined;
  /** Replaces the undici transport (tests never need to: they use the simulator over HTTP). */
  transport?: Transport;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  client: FineTunesClient;
  /** What `/metrics` serves; other parts (retries, caches) report into it. */
  metrics: GatewayMetrics;
  /** Closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

const GRAPHQL_ENDPOINT = '/graphql';

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const metrics = deps.metrics ?? createMetrics();
  const tracer = deps.tracerProvider?.getTracer(TRACER_NAME);
  const upstream = createUpstream(config, { ...deps, metrics, tracer });
  const { client } = upstream;
  const telemetry = createRequestTelemetry({ logger: deps.logger, metrics, tracer, graphqlEndpoint: GRAPHQL_ENDPOINT });

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => createContext({ config, client, metrics }, request, telemetry.recorderFor(request)),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: deps.logger,
    maskedErrors: { isDev: config.environment === 'development' },
    graphiql: {
      title: 'Fine-tuning jobs · GraphQL',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
    },
    plugins: [useGraphQLMetrics(metrics, config.metricsEnabled ? '/metrics' : false), telemetry.plugin],
  });

  return {
    yoga,
    client,
    metrics,
    close: () => upstream.close(),
  };
}
