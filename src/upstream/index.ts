import type { Tracer } from '@opentelemetry/api';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { type FineTunesClient, createFineTunesClient } from './client.js';
import { instrumentUpstream } from './instrument.js';
import { traceUpstream } from './trace.js';
import { type Send, type Transport, createTransport } from './transport.js';

/**
 * A layer wraps one Send in another (retries, circuit breaking, caching, metrics…). Layers are
 * applied in array order, each around the previous: the first is closest to the network.
 */
export type SendLayer = (next: Send) => Send;

export interface Upstream {
  client: FineTunesClient;
  close(): Promise<void>;
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
  const transport =
    deps.transport ??
    createTransport({
      origin: config.upstreamOrigin,
      headersTimeoutMs: config.timeoutMs,
      bodyTimeoutMs: config.timeoutMs,
    });
  const layers: SendLayer[] = [
    // Observability first, closest to the network: each real call (every retry attempt) is one
    // span and one observation.
    ...(deps.tracer ? [traceUpstream(deps.tracer, config.upstreamOrigin)] : []),
    instrumentUpstream(deps.metrics.upstream),
  ];
  const send = layers.reduce<Send>((inner, layer) => layer(inner), transport.send);
  return {
    client: createFineTunesClient(send),
    close: () => transport.close(),
  };
}
