import type { Tracer } from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { type CircuitState, createCircuitBreaker } from './circuit-breaker.js';
import { createFineTunesClient } from './client.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { instrumentUpstream } from './instrument.js';
import { createConcurrencyLimit } from './concurrency-limit.js';
import { type CachingClient, withFinishedJobCache } from './finished-job-cache.js';
import { createRetryLayer } from './retry.js';
import { shareInflight } from './shared-inflight.js';
import { traceUpstream } from './trace.js';
import { type Send, type Transport, createTransport } from './transport.js';

/**
 * A layer wraps one Send in another (retries, circuit breaking, caching, metrics…). Layers are
 * applied in array order, each around the previous: the first is closest to the network.
 */
export type SendLayer = (next: Send) => Send;

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
}

export interface UpstreamDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  /** Present only when tracing is configured. */
  tracer?: Tracer | undefined;
  /** Replaces the undici transport. */
  transport?: Transport;
}

/** The upstream stack: undici transport, then the layers, then the typed endpoint client. */
export function createUpstream(config: Config, deps: UpstreamDeps): Upstream {
  const { logger } = deps;
  const transport =
    deps.transport ??
    createTransport({
      origin: config.upstreamOrigin,
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
  const limit = createConcurrencyLimit(config.upstreamConcurrency);
  const retry = createRetryLayer({
    ...config.retry,
    deadlineMs: config.timeoutMs,
    onRetry: (event) => {
      deps.metrics.upstream.retries.inc({ endpoint: event.endpoint, reason: event.code ?? String(event.status) });
      logger.debug(event, 'retrying upstream call');
    },
  });
  // Order matters. The breaker sits on the transport so it judges real upstream answers only, not
  // our own queue. Retries sit outside the concurrency limit so a backoff wait holds no slot, and
  // each attempt queues (and is counted by the breaker) like any other call. Outermost, callers
  // asking for the same thing at once share one call, retries included. Observability is closest
  // to the network: each real call (every retry attempt) is one span and one observation.
  const layers: SendLayer[] = [
    ...(deps.tracer ? [traceUpstream(deps.tracer, config.upstreamOrigin)] : []),
    instrumentUpstream(deps.metrics.upstream),
    breaker.layer,
    limit.layer,
    retry,
    shareInflight,
  ];
  const send = layers.reduce<Send>((inner, layer) => layer(inner), transport.send);
  return {
    client: withFinishedJobCache(createFineTunesClient(send), config.cache, {
      hit: () => deps.metrics.cache.hits.inc({ cache: 'finished-jobs' }),
      miss: () => deps.metrics.cache.misses.inc({ cache: 'finished-jobs' }),
    }),
    health: () => ({ circuit: breaker.state(), active: limit.active(), queued: limit.queued() }),
    close: () => transport.close(),
  };
}
