import { setMaxListeners } from 'node:events';
import type { TracerProvider } from '@opentelemetry/api';
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { createFineTuneActions } from './actions/fine-tune-actions.js';
import { type IdempotencyStore, createMemoryIdempotencyStore, createSharedIdempotencyStore } from './actions/idempotency-store.js';
import { createServerAdapter } from '@whatwg-node/server';
import {
  type CORSOptions,
  type Plugin,
  type YogaServerInstance,
  type YogaInitialContext,
  type YogaServerOptions,
  YogaServer,
} from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext, createCredentialResolver } from './context.js';
import { CompiledOperations } from './execution/compiled-operations.js';
import { GRAPHIQL_OPTIONS, type GraphiQLPageSource, createGraphiQLPage } from './graphiql.js';
import { type FrontCounts, type NodeHandler, type ServerContext, createNodeFront, onResponseClose } from './http/node-front.js';
import { type JobStatusHub, createJobStatusHub } from './live/job-status-hub.js';
import { type LogTailHub, createLogTailHub } from './live/log-tail-hub.js';
import { createLocalCoordination, createRedisCoordination } from './live/shared-poll.js';
import type { Logger } from './logger.js';
import { DOCUMENT_ID_PARAM, loadPersistedOperations, usePersistedOperationsManifest } from './persisted-operations.js';
import { createMaskError, createYogaLogger } from './plugins/mask-error.js';
import { useAutomaticPersistedQueries } from './plugins/use-automatic-persisted-queries.js';
import { useCompiledExecution } from './plugins/use-compiled-execution.js';
import { useCrossSiteProtection } from './plugins/use-cross-site-protection.js';
import { useDeadlineRelease } from './plugins/use-deadline-release.js';
import { useEntitiesLimit } from './plugins/use-entities-limit.js';
import { useGraphiQLPage } from './plugins/use-graphiql-page.js';
import { useGraphQLSSEEndpoint } from './plugins/use-graphql-sse-endpoint.js';
import { useOperationLimits } from './plugins/use-operation-limits.js';
import { usePrivateCacheControl } from './plugins/use-private-cache-control.js';
import { useReadiness } from './plugins/use-readiness.js';
import { useRequestBodyLimit } from './plugins/use-request-body-limit.js';
import { useRequestParamsLimits } from './plugins/use-request-params-limits.js';
import { type SubscriptionCounts, useSubscriptionLimits } from './plugins/use-subscription-limits.js';
import { useShutdownNotice } from './plugins/use-shutdown-notice.js';
import { type RedisConnection, type RedisState, createRedisConnection } from './redis/connection.js';
import { createMemoryStore, createRedisStore, withLocalFallback } from './redis/store.js';
import { createSchema } from './schema/index.js';
import { type GatewayMetrics, REDIS_STATES, createMetrics } from './telemetry/metrics.js';
import { useMetricsEndpoint } from './telemetry/operation-metrics.js';
import { createRequestTelemetry } from './telemetry/request-telemetry.js';
import { TRACER_NAME } from './telemetry/tracing.js';
import type { CachingClient } from './upstream/finished-job-cache.js';
import { createUpstream, type UpstreamHealth } from './upstream/index.js';
import type { Transport } from './upstream/transport.js';

/** A plugin of the gateway's list: Envelop's hooks with the gateway's context, and Yoga's HTTP hooks. */
export type GatewayPlugin = Plugin<YogaInitialContext & ServerContext & Context, ServerContext, Context>;

export interface GatewayDeps {
  logger: Logger;
  /** The gateway's metrics; created (with their own registry) when not given. */
  metrics?: GatewayMetrics;
  /** Tracing is on when a provider is given (`main.ts` builds one from `config.tracing`). */
  tracerProvider?: TracerProvider | undefined;
  /** Replaces the undici transport (tests never need to: they use the simulator over HTTP). */
  transport?: Transport;
  /** Plugins appended to the gateway's own list: they see every request, whichever way it came in. */
  plugins?: GatewayPlugin[];
}

export interface Gateway {
  /** The node:http request listener: the one pipeline, through either way in (`http/node-front.ts`). */
  handle: NodeHandler;
  /** Requests served by each way in. */
  frontCounts: Readonly<FrontCounts>;
  yoga: YogaServerInstance<ServerContext, Context>;
  client: CachingClient;
  /** What `/metrics` serves; other parts (retries, caches) report into it. */
  metrics: GatewayMetrics;
  /** The pollers behind the `fineTuneStatus` subscription. */
  jobStatus: JobStatusHub;
  /** The pollers behind the `fineTuneLogs` subscription. */
  logTail: LogTailHub;
  /** Live subscriptions now, counted against GRAPHQL_MAX_SUBSCRIPTIONS(_PER_CLIENT). */
  subscriptions: SubscriptionCounts;
  /** The GraphiQL page (null when it is off): `main.ts` asks for it at start-up, so its files are ready for a first visit. */
  graphiql: GraphiQLPageSource | null;
  /** What `/ready` reports. */
  health(): GatewayHealth;
  /**
   * Marks the gateway as shutting down: `/ready` answers 503, every answer carries
   * `Connection: close` (clients reconnect, through the load balancer, elsewhere) and live
   * subscriptions end with a `SHUTTING_DOWN` error result. It keeps serving until the caller closes
   * its listener (`main.ts` waits `SHUTDOWN_DRAIN_MS`).
   */
  drain(): void;
  /** Stops the job pollers, then closes the upstream pool. The HTTP server is the caller's (see `main.ts`). */
  close(): Promise<void>;
}

export interface GatewayHealth {
  ready: boolean;
  draining: boolean;
  upstream: UpstreamHealth;
  /**
   * The Redis shared with the other replicas: `up`, `degraded` (unreachable or failing: this
   * replica serves on per-process behaviour, and stays ready) or `off` (no REDIS_URL).
   */
  redis: RedisState | 'off';
}

/** Headers that make a browser preflight a request: a POST with one of them needs no JSON body (see `useCrossSiteProtection`). */
export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight', 'x-apollo-operation-name'];

const GRAPHQL_ENDPOINT = '/graphql';
/** graphql-sse's single-connection mode (`/graphql` serves its distinct-connections mode). */
export const GRAPHQL_SSE_ENDPOINT = '/graphql/stream';
/** What a client sees instead of an unexpected error (a bug); the log has the cause. */
const MASKED_MESSAGE = 'Unexpected error.';

/** Builds the app; never listens by itself, so tests build it with their own config. */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  // First, so a bad manifest fails start-up before anything is opened.
  const persistedOperations =
    config.persistedOperationsManifest === undefined ? null : loadPersistedOperations(config.persistedOperationsManifest);
  const metrics = deps.metrics ?? createMetrics();
  const tracer = deps.tracerProvider?.getTracer(TRACER_NAME);
  const redis = config.redis === null ? null : connectRedis(config.redis, deps.logger, metrics);
  if (redis === null) setRedisState(metrics, 'off');
  const upstream = createUpstream(config, { ...deps, metrics, tracer, redis });
  const { client } = upstream;
  const telemetry = createRequestTelemetry({
    logger: deps.logger,
    metrics,
    tracer,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    ...(config.persistedOperationsOnly ? {} : { streamEndpoint: GRAPHQL_SSE_ENDPOINT }),
  });
  // Both hubs' pollers: with Redis, one replica polls each (job, credential) for the fleet.
  const coordination =
    redis === null
      ? createLocalCoordination()
      : createRedisCoordination({
          redis,
          leaseMs: config.pollLeaseMs,
          // Late joiners on other replicas start from it; it outlives a few polls and a takeover.
          lastTtlMs: Math.max(60_000, 3 * config.pollIntervalMs),
          logger: deps.logger,
          onFallback: () => metrics.redis.fallbacks.inc({ feature: 'pollers' }),
        });
  const jobStatus = createJobStatusHub({
    client,
    intervalMs: config.pollIntervalMs,
    timeoutMs: config.timeoutMs,
    logger: deps.logger,
    coordination,
  });
  const logTail = createLogTailHub({
    client,
    jobStatus,
    intervalMs: config.pollIntervalMs,
    timeoutMs: config.timeoutMs,
    logger: deps.logger,
    coordination,
  });
  const actions = createFineTuneActions({
    client,
    jobStatus,
    idempotency: createIdempotencyStore(config, redis, () => metrics.redis.fallbacks.inc({ feature: 'idempotency' })),
    timeoutMs: config.timeoutMs,
    logger: deps.logger,
  });
  const contextDeps = { config, client, jobStatus, logTail, actions, metrics, resolveCredential: createCredentialResolver(config) };
  let draining = false;
  // Aborted by drain(): live subscriptions end with a going-away notice (use-shutdown-notice.ts).
  const drained = new AbortController();
  // One listener per live subscription (use-shutdown-notice.ts): hundreds are expected, not a leak.
  setMaxListeners(0, drained.signal);

  // Ready while serving, also while the upstream circuit is open: the outage is shared by every
  // replica, so taking them all out of a load balancer would turn typed errors into refused connections.
  // Ready also while Redis is degraded: every replica then serves per process, which is slower on the
  // upstream's side but no outage.
  const health = (): GatewayHealth => ({ ready: !draining, draining, upstream: upstream.health(), redis: redis?.state() ?? 'off' });

  // Built once per process and prefix, never per request.
  const schema = createSchema({ typePrefix: config.typePrefix });
  const compiled = new CompiledOperations(schema, { onSize: (size) => metrics.graphql.compiledDocuments.set(size) });
  const isDev = config.environment === 'development';
  const maskError = createMaskError(deps.logger);
  const yogaLogger = createYogaLogger(deps.logger);
  // GraphiQL cannot work where only trusted documents run (not even its introspection query).
  const graphiql =
    config.persistedOperationsOnly || !config.graphiqlEnabled
      ? null
      : createGraphiQLPage(GRAPHIQL_OPTIONS, {
          cacheRoot: config.graphiqlCacheDir,
          onFallback: (error, directory) =>
            deps.logger.warn({ err: error, directory }, 'GRAPHIQL_CACHE_DIR is not usable: GraphiQL files built into a private directory'),
        });

  const subscriptionLimits = useSubscriptionLimits({
    perClient: config.limits.maxSubscriptionsPerClient,
    total: config.limits.maxSubscriptions,
    clientBy: config.forwardAuth ? 'credential' : 'address',
  });

  const yogaOptions: YogaServerOptions<ServerContext, Context> = {
    schema,
    context: ({ request, res }) =>
      createContext(
        contextDeps,
        {
          authorization: request.headers.get('authorization'),
          signal: () => request.signal,
          // Both ways in are Node's: hearing the socket close costs a listener, not two AbortSignals.
          ...(res ? { onAbort: onResponseClose(res) } : {}),
        },
        telemetry.recorderFor(request),
      ),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: yogaLogger,
    maskedErrors: { isDev, maskError, errorMessage: MASKED_MESSAGE },
    // Our own limit (see the plugin): Yoga's streams every body through a counting TransformStream.
    maxRequestBodySize: false,
    cors: corsOptions(config.corsOrigins),
    extraParamNames: persistedOperations ? [DOCUMENT_ID_PARAM] : [],
    plugins: [
      // First: a hostile operation name or nesting is refused before any other plugin (telemetry
      // included) sees the parameters.
      useRequestParamsLimits(),
      ...(config.metricsEnabled ? [useMetricsEndpoint(metrics.registry, '/metrics')] : []),
      // Before telemetry: the page and its files are no GraphQL requests (as with Yoga's own GraphiQL plugin).
      ...(graphiql ? [useGraphiQLPage(GRAPHQL_ENDPOINT, graphiql)] : []),
      telemetry.plugin,
      useCrossSiteProtection(CSRF_HEADERS),
      useRequestBodyLimit(config.limits.maxBodyBytes),
      // Before the trusted documents and the limits: it turns a hash into the registered (or
      // trusted) text the other plugins see. Registering is sending a text, so not where only
      // trusted documents run.
      ...(config.apq.maxEntries > 0 && !config.persistedOperationsOnly
        ? [
            useAutomaticPersistedQueries(
              config.apq,
              persistedOperations,
              redis === null
                ? undefined
                : {
                    store: createRedisStore(redis, 'apq', { maxEntries: config.apq.maxEntries }),
                    onFailure: () => metrics.redis.fallbacks.inc({ feature: 'apq' }),
                  },
            ),
          ]
        : []),
      // Before the limits: it turns a document id into the query text the other plugins see.
      ...(persistedOperations
        ? [usePersistedOperationsManifest({ operations: persistedOperations, only: config.persistedOperationsOnly })]
        : []),
      useOperationLimits(config.limits),
      useEntitiesLimit(config.limits.maxEntityIds),
      subscriptionLimits.plugin,
      // `@defer` and `@stream`: answered as multipart/mixed (or SSE) parts, always on graphql-js.
      useDeferStream(),
      useCompiledExecution(compiled),
      useDeadlineRelease(),
      useShutdownNotice(drained.signal),
      usePrivateCacheControl(GRAPHQL_ENDPOINT),
      useReadiness('/ready', health),
      ...(deps.plugins ?? []),
      // Last: it answers its path in onRequest (ending the onRequest hooks), so every plugin before
      // it, the ones passed in included, sees those requests; it applies the checks Yoga's parsing
      // and onParams would make itself. It sends query texts: not where only trusted documents run.
      ...(config.persistedOperationsOnly
        ? []
        : [
            useGraphQLSSEEndpoint({
              endpoint: GRAPHQL_SSE_ENDPOINT,
              maxBodyBytes: config.limits.maxBodyBytes,
              csrfHeaders: CSRF_HEADERS,
              reservationTimeoutMs: config.sseReservationTimeoutMs,
            }),
          ]),
    ],
    // Served by useGraphiQLPage (compressed once, with an ETag) instead of Yoga's plugin.
    graphiql: false,
  };
  // Built as `createYoga` does, keeping hold of the server and its plugin list for the Node front.
  const server = new GatewayYogaServer(yogaOptions);
  const yoga = createServerAdapter(server, { fetchAPI: server.fetchAPI, plugins: server.pluginList }) as unknown as YogaServerInstance<
    ServerContext,
    Context
  >;
  const front = createNodeFront({
    server,
    plugins: server.pluginList,
    adapter: yoga as unknown as NodeHandler,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    maxBodyBytes: config.limits.maxBodyBytes,
    enabled: config.nodeFront,
  });

  let closing: Promise<void> | undefined;
  return {
    handle: (request, response) => {
      // Set before any plugin writes: both ways in keep headers set on the Node response.
      if (draining) response.setHeader('connection', 'close');
      return front.handle(request, response);
    },
    frontCounts: front.counts,
    yoga,
    client,
    metrics,
    jobStatus,
    logTail,
    subscriptions: subscriptionLimits.counts,
    graphiql,
    health,
    drain: () => {
      draining = true;
      // First the notice to every live subscription, then the pollers behind them stop (a
      // subscription's own return() may wait behind a pending poll).
      drained.abort();
      logTail.close();
      jobStatus.close();
    },
    close: () => {
      closing ??= (async () => {
        logTail.close();
        jobStatus.close();
        await Promise.all([upstream.close(), redis?.close()]);
      })();
      return closing;
    },
  };
}

/**
 * `createFineTune`'s idempotency keys: in this process, or with Redis in both Redis and (while it
 * fails) this process's memory. A claim marks its key for the create's deadline and as long again
 * (at least 5 s more), so the marker outlives any create still running and a dead claimer's expires.
 */
function createIdempotencyStore(config: Config, redis: RedisConnection | null, onFallback: () => void): IdempotencyStore {
  const maxKeys = config.idempotencyMaxKeys;
  if (redis === null) return createMemoryIdempotencyStore({ maxKeys });
  const shared = (namespace: string) =>
    withLocalFallback(createRedisStore(redis, namespace, { maxEntries: maxKeys }), createMemoryStore({ maxEntries: maxKeys }), onFallback);
  return createSharedIdempotencyStore({
    done: shared('idem'),
    pending: shared('idem-claim'),
    pendingTtlMs: config.timeoutMs + Math.max(config.timeoutMs, 5_000),
  });
}

function connectRedis(config: NonNullable<Config['redis']>, logger: Logger, metrics: GatewayMetrics): RedisConnection {
  return createRedisConnection({ ...config, logger, onStateChange: (state) => setRedisState(metrics, state) });
}

function setRedisState(metrics: GatewayMetrics, state: RedisState | 'off'): void {
  for (const each of REDIS_STATES) metrics.redis.state.set({ state: each }, each === state ? 1 : 0);
}

/** Yoga's server, with its plugin list (the one the adapter takes its hooks from) in reach of the Node front. */
class GatewayYogaServer extends YogaServer<ServerContext, Context> {
  get pluginList(): GatewayPlugin[] {
    return this.plugins;
  }
}

/**
 * No origins: no CORS headers at all, so only same-origin pages can read answers.
 *
 * Decided per request (Yoga takes a function of the request): an origin on the list gets the
 * list's headers (whatwg-node reflects it, with `Vary: Origin`, and allows credentials); any other
 * origin, the `null` origin of a sandboxed iframe or a `file:` page included, gets no CORS header
 * at all. Yoga's static list answered a disallowed origin `Access-Control-Allow-Origin: null` WITH
 * `Access-Control-Allow-Credentials: true`, which a sandboxed iframe on any site matches.
 */
function corsOptions(origins: string[]): NonNullable<YogaServerOptions<ServerContext, Context>['cors']> {
  if (origins.length === 0) return false;
  if (origins.includes('*')) {
    // Any origin, never with credentials.
    return { ...CORS_COMMON, origin: '*', credentials: false };
  }
  const allowed = new Set(origins);
  const listed: CORSOptions = { ...CORS_COMMON, origin: origins, credentials: true };
  return (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && origin !== 'null' && allowed.has(origin) ? listed : false;
  };
}

const CORS_COMMON = {
  // PUT and DELETE, and the token header: graphql-sse's single-connection mode (GRAPHQL_SSE_ENDPOINT).
  methods: ['GET', 'POST', 'PUT', 'DELETE'],
  allowedHeaders: ['content-type', 'authorization', 'x-graphql-event-stream-token', ...CSRF_HEADERS],
  maxAge: 600,
};
