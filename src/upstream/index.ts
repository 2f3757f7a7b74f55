import type { Tracer } from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
import { createRedisStore } from '../redis/store.js';
import { type CircuitState, createCircuitBreaker } from './circuit-breaker.js';
import { createFineTunesClient } from './client.js';
import { createConcurrencyLimit } from './concurrency-limit.js';
import { createCredentialStanding } from './credential-standing.js';
import { type CachingClient, withFinishedJobCache } from './finished-job-cache.js';
import { type UpstreamCallMetrics, instrumentUpstream } from './instrument.js';
import type { Endpoint, Send, SendLayer } from './layer.js';
import { createRateBudget } from './rate-budget.js';
import { createRetryLayer } from './retry.js';
import { createSharedInflight } from './shared-inflight.js';
import { traceUpstream } from './trace.js';
import { type Transport, createTransport } from './transport.js';

export interface Upstream {
  client: CachingClient;
  /** The state of the protections in front of the upstream origin, for `/ready` and logs. */
  health(): UpstreamHealth;
  close(): Promise<void>;
}

export interface UpstreamHealth {
  circuit: CircuitState;
  /** Upstream calls in flight. */
  active: number;
  /** Upstream calls waiting for a slot. */
  queued: number;
  /** Upstream calls allowed in flight now: the adaptive limit. */
  limit: number;
}

/**
 * What the upstream stack reports into: the gateway's metrics (`telemetry/metrics.ts`) fit it.
 * Declared here so that upstream needs nothing from telemetry.
 */
export interface UpstreamMetrics {
  upstream: UpstreamCallMetrics & {
    retries: { inc(labels: { endpoint: Endpoint; reason: string }): void };
    concurrencyLimit: { set(value: number): void };
    /** Calls refused because the credential's rate budget had no slot within their deadline. */
    budgetRefusals: { inc(): void };
  };
  cache: {
    hits: { inc(labels: { cache: string }): void };
    misses: { inc(labels: { cache: string }): void };
  };
  redis: {
    /** A decision taken per process because Redis failed or was unavailable, by feature. */
    fallbacks: { inc(labels: { feature: string }): void };
  };
}

export interface UpstreamDeps {
  logger: Logger;
  metrics: UpstreamMetrics;
  /** Present only when tracing is configured. */
  tracer?: Tracer | undefined;
  /** Replaces the undici transport. */
  transport?: Transport;
  /** Shares the finished-job cache and the rate budget with other replicas (REDIS_URL). */
  redis?: RedisConnection | null | undefined;
}

/** The upstream stack: undici transport, then the layers, then the typed endpoint client. */
export function createUpstream(config: Config, deps: UpstreamDeps): Upstream {
  const { logger, metrics } = deps;
  const transport =
    deps.transport ??
    createTransport({
      origin: config.upstreamOrigin,
      // The pool follows the concurrency limit's ceiling: sockets are opened only as the limit needs them.
      connections: config.upstreamConcurrency.max,
      connectTimeoutMs: Math.min(config.connectTimeoutMs, config.timeoutMs),
      headersTimeoutMs: config.timeoutMs,
      bodyTimeoutMs: config.timeoutMs,
    });
  const breaker = createCircuitBreaker({
    ...config.breaker,
    onStateChange: (state, previous) => {
      const log = state === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ upstream: config.upstreamOrigin, circuit: state, previous }, `upstream circuit ${state}`);
    },
  });
  // Forwarding mode only: there callers bring their own keys, real or made up. The server's own key
  // is the operator's, one credential, and a 401 for it is a misconfiguration to see on every call.
  const standing = config.forwardAuth
    ? createCredentialStanding({
        rejectedTtlMs: config.rejectedKeyTtlMs,
        onRemembered: () => metrics.cache.hits.inc({ cache: 'rejected-credentials' }),
      })
    : null;
  const limit = createConcurrencyLimit({
    ...config.upstreamConcurrency,
    ...(standing ? { laneOf: (request) => standing.laneOf(request.credential) } : {}),
    onLimitChange: (value) => metrics.upstream.concurrencyLimit.set(value),
  });
  metrics.upstream.concurrencyLimit.set(limit.limit());
  const retry = createRetryLayer({
    ...config.retry,
    deadlineMs: config.timeoutMs,
    onRetry: (event) => {
      metrics.upstream.retries.inc({ endpoint: event.endpoint, reason: event.code ?? String(event.status) });
      logger.debug(event, 'retrying upstream call');
    },
  });
  // Order matters. The breaker sits on the transport so it judges real upstream answers only, not
  // our own queue. The concurrency limit sees each attempt's latency and outcome, which is what it
  // adapts to. Retries sit outside the limit so a backoff wait holds no slot, and each attempt
  // queues (and is counted by the breaker) like any other call. Outermost, callers asking for the
  // same thing at once share one call, retries included. Observability is closest to the network:
  // each real call (every retry attempt) is one span and one observation.
  // The rate budget (DASHSCOPE_MAX_RPS, and 429 holds shared between replicas) sits inside the
  // retries, so every attempt pays its slot, and outside the concurrency limit, so a wait for the
  // budget holds no upstream slot. Off without a budget and without Redis (retries honour a 429's
  // Retry-After per call already).
  const redis = deps.redis ?? null;
  const budget =
    config.maxRps > 0 || redis !== null
      ? [
          createRateBudget({
            maxRps: config.maxRps,
            deadlineMs: config.timeoutMs,
            redis,
            onFallback: () => metrics.redis.fallbacks.inc({ feature: 'rate-budget' }),
            onRefused: () => metrics.upstream.budgetRefusals.inc(),
          }),
        ]
      : [];
  const layers: SendLayer[] = [
    ...(deps.tracer ? [traceUpstream(deps.tracer, config.upstreamOrigin)] : []),
    instrumentUpstream(metrics.upstream),
    breaker.layer,
    limit.layer,
    ...budget,
    retry,
    // A remembered 401 costs nothing at all, and an unknown key one probe at a time (inside the
    // sharing, so identical calls still share one call, probe included).
    ...(standing ? [standing.layer] : []),
    createSharedInflight(config.timeoutMs),
  ];
  const send = layers.reduce<Send>((inner, layer) => layer(inner), transport.send);
  return {
    client: withFinishedJobCache(
      createFineTunesClient(send, config.utcOffset),
      config.cache,
      {
        hit: () => metrics.cache.hits.inc({ cache: 'finished-jobs' }),
        miss: () => metrics.cache.misses.inc({ cache: 'finished-jobs' }),
        sharedHit: () => metrics.cache.hits.inc({ cache: 'finished-jobs-shared' }),
        sharedFailure: () => metrics.redis.fallbacks.inc({ feature: 'finished-jobs' }),
      },
      redis === null ? undefined : createRedisStore(redis, 'job', { maxEntries: config.cache.maxEntries }),
    ),
    health: () => ({ circuit: breaker.state(), active: limit.active(), queued: limit.queued(), limit: limit.limit() }),
    close: () => transport.close(),
  };
}
