import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series.js';

/**
 * The gateway's Prometheus metrics, in a registry of its own: two gateways in one process (tests,
 * blue/green in one worker) never share or collide on a metric. Other modules report into these
 * objects (they arrive through `deps`); nothing here is a module-level singleton.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly graphql: {
    /** Typed union errors by `__typename` (kind="union") and `errors[]` entries by `extensions.code` (kind="graphql"). */
    readonly errors: SeriesCounter<'kind' | 'type'>;
    /** GraphQL HTTP requests being served right now. */
    readonly inFlight: Gauge;
    /** Documents holding graphql-jit code (compiled on their second run, at most 500 kept). */
    readonly compiledDocuments: Gauge;
  };
  readonly upstream: {
    /** Every real HTTP call, by endpoint and HTTP status (or network failure code). */
    readonly calls: SeriesCounter<'endpoint' | 'status'>;
    readonly duration: SeriesHistogram<'endpoint' | 'status'>;
    /** Incremented by a retry layer for each attempt after the first; `reason` e.g. "429", "503", "ConnectionReset". */
    readonly retries: Counter<'endpoint' | 'reason'>;
    /** Real calls that ended in a timeout (connect, headers, body, or the operation deadline). */
    readonly timeouts: Counter<'endpoint'>;
    /** Upstream calls allowed in flight now: the adaptive concurrency limit. */
    readonly concurrencyLimit: Gauge;
    /** Calls refused with ThrottlingError because the credential's rate budget (DASHSCOPE_MAX_RPS) had no slot in time. */
    readonly budgetRefusals: Counter;
  };
  readonly http: {
    /** Connections the gateway closed itself, by `reason` (see `http/connection-guard.ts`). */
    readonly connectionsClosed: Counter<'reason'>;
  };
  readonly dataloader: {
    /** Keys per batch function call: how well per-request batching works. */
    readonly batchSize: SeriesHistogram<'loader'>;
  };
  readonly cache: {
    /** For any cache in front of the upstream: `cache` names it (e.g. "finished-jobs"). */
    readonly hits: SeriesCounter<'cache'>;
    readonly misses: SeriesCounter<'cache'>;
  };
  readonly redis: {
    /** 1 for the current state of the shared Redis (`up`, `degraded`, or `off` without REDIS_URL), 0 for the others. */
    readonly state: Gauge<'state'>;
    /** Decisions taken per process because Redis failed or was unavailable, by feature. */
    readonly fallbacks: Counter<'feature'>;
  };
}

export const REDIS_STATES = ['up', 'degraded', 'off'] as const;

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC) with the `process_`/`nodejs_` names. @default true */
  processMetrics?: boolean;
}

/** Seconds; the upstream's p50 is tens of milliseconds, its deadline 10 s. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A batch holds at most the distinct ids of one operation (aliases, `_entities`). */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100];

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Series metrics (see series.ts) for what is counted on every request or upstream call.
  const series = { registry };
  return {
    registry,
    graphql: {
      errors: new SeriesCounter({
        ...series,
        name: 'gateway_graphql_errors_total',
        help: 'GraphQL errors: typed union results by __typename (kind="union"), errors[] entries by extensions.code (kind="graphql").',
        labelNames: ['kind', 'type'],
      }),
      inFlight: new Gauge({
        name: 'gateway_graphql_requests_in_flight',
        help: 'GraphQL HTTP requests currently being served.',
        registers,
      }),
      compiledDocuments: new Gauge({
        name: 'gateway_graphql_compiled_documents',
        help: 'Documents holding graphql-jit code: compiled on their second run, least recently used dropped past the bound.',
        registers,
      }),
    },
    upstream: {
      calls: new SeriesCounter({
        ...series,
        name: 'gateway_upstream_requests_total',
        help: 'HTTP calls to the DashScope API, by endpoint and HTTP status (or the network failure code).',
        labelNames: ['endpoint', 'status'],
      }),
      duration: new SeriesHistogram({
        ...series,
        name: 'gateway_upstream_request_duration_seconds',
        help: 'Latency of each HTTP call to the DashScope API, body included.',
        labelNames: ['endpoint', 'status'],
        buckets: UPSTREAM_BUCKETS,
      }),
      retries: new Counter({
        name: 'gateway_upstream_retries_total',
        help: 'Upstream calls repeated after a transient failure, by endpoint and reason.',
        labelNames: ['endpoint', 'reason'],
        registers,
      }),
      timeouts: new Counter({
        name: 'gateway_upstream_timeouts_total',
        help: 'Upstream calls that ended in a timeout.',
        labelNames: ['endpoint'],
        registers,
      }),
      concurrencyLimit: new Gauge({
        name: 'gateway_upstream_concurrency_limit',
        help: 'Upstream calls allowed in flight at once now; adapts to the upstream between its floor and ceiling.',
        registers,
      }),
      budgetRefusals: new Counter({
        name: 'gateway_upstream_budget_refusals_total',
        help: 'Upstream calls refused with ThrottlingError: the credential had no slot in its rate budget (DASHSCOPE_MAX_RPS) within the deadline.',
        registers,
      }),
    },
    http: {
      connectionsClosed: new Counter({
        name: 'gateway_http_connections_closed_total',
        help: 'Connections the gateway closed itself: connection_limit (over HTTP_MAX_CONNECTIONS), write_timeout (a client that stopped reading), pipelining (too many requests queued on one connection).',
        labelNames: ['reason'],
        registers,
      }),
    },
    dataloader: {
      batchSize: new SeriesHistogram({
        ...series,
        name: 'gateway_dataloader_batch_size',
        help: 'Keys per DataLoader batch.',
        labelNames: ['loader'],
        buckets: BATCH_BUCKETS,
      }),
    },
    cache: {
      hits: new SeriesCounter({
        ...series,
        name: 'gateway_cache_hits_total',
        help: 'Cache lookups answered from the cache.',
        labelNames: ['cache'],
      }),
      misses: new SeriesCounter({
        ...series,
        name: 'gateway_cache_misses_total',
        help: 'Cache lookups that went upstream.',
        labelNames: ['cache'],
      }),
    },
    redis: {
      state: new Gauge({
        name: 'gateway_redis_state',
        help: 'The shared Redis (REDIS_URL): 1 for the current state (up, degraded: serving per process, off: not configured), 0 for the others.',
        labelNames: ['state'],
        registers,
      }),
      fallbacks: new Counter({
        name: 'gateway_redis_fallbacks_total',
        help: 'Decisions taken per process because Redis failed or was unavailable, by feature.',
        labelNames: ['feature'],
        registers,
      }),
    },
  };
}
