import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { type CORSOptions, createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext } from './context.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphiql.js';
import type { Logger } from './logger.js';
import { createMaskError } from './plugins/mask-error.js';
import { useOperationLimits } from './plugins/use-operation-limits.js';
import { schema } from './schema/index.js';
import type { FineTunesClient } from './upstream/client.js';
import { createUpstream, type UpstreamHealth } from './upstream/index.js';
import type { Transport } from './upstream/transport.js';

export interface GatewayDeps {
  logger: Logger;
  /** Replaces the undici transport (tests never need to: they use the simulator over HTTP). */
  transport?: Transport;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  client: FineTunesClient;
  /** What `/ready` reports. */
  health(): GatewayHealth;
  /** Marks the gateway as shutting down: `/ready` answers 503 from now on. */
  drain(): void;
  /** Closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

export interface GatewayHealth {
  ready: boolean;
  draining: boolean;
  upstream: UpstreamHealth;
}

/** Headers that make a browser preflight a request, proving it is not a cross-site form post. */
export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight', 'x-apollo-operation-name'];

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const upstream = createUpstream(config, deps);
  const { client } = upstream;
  let draining = false;

  // Ready while serving, also while the upstream circuit is open: the outage is shared by every
  // replica, so taking them all out of a load balancer would turn typed errors into refused connections.
  const health = (): GatewayHealth => ({ ready: !draining, draining, upstream: upstream.health() });

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => createContext({ config, client }, request),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: deps.logger,
    maskedErrors: { isDev: config.environment === 'development', maskError: createMaskError(deps.logger) },
    maxRequestBodySize: config.limits.maxBodyBytes,
    cors: corsOptions(config.corsOrigins),
    graphiql: {
      title: 'Fine-tuning jobs · GraphQL',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
    },
    plugins: [
      useCSRFPrevention({ requestHeaders: CSRF_HEADERS }),
      useOperationLimits(config.limits),
      useReadinessCheck({
        endpoint: '/ready',
        check: ({ fetchAPI }) => {
          const state = health();
          return fetchAPI.Response.json(state, { status: state.ready ? 200 : 503 });
        },
      }),
    ],
  });

  return {
    yoga,
    client,
    health,
    drain: () => {
      draining = true;
    },
    close: () => upstream.close(),
  };
}

/** No origins: no CORS headers at all, so only same-origin pages can read answers. */
function corsOptions(origins: string[]): CORSOptions {
  if (origins.length === 0) return false;
  return {
    origin: origins.includes('*') ? '*' : origins,
    // Credentials (cookies, Authorization in forwarding mode) only for an explicit list of origins.
    credentials: !origins.includes('*'),
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', ...CSRF_HEADERS],
    maxAge: 600,
  };
}
