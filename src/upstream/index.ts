import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createFineTunesClient } from './client.js';
import { type CachingClient, withFinishedJobCache } from './finished-job-cache.js';
import { shareInflight } from './shared-inflight.js';
import { type Send, type Transport, createTransport } from './transport.js';

/**
 * A layer wraps one Send in another (retries, circuit breaking, caching, metrics…). Layers are
 * applied in array order, each around the previous: the first is closest to the network.
 */
export type SendLayer = (next: Send) => Send;

export interface Upstream {
  client: CachingClient;
  close(): Promise<void>;
}

export interface UpstreamDeps {
  logger: Logger;
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
    // Outermost: callers asking for the same thing at once share one call, retries included.
    shareInflight,
  ];
  const send = layers.reduce<Send>((inner, layer) => layer(inner), transport.send);
  return {
    client: withFinishedJobCache(createFineTunesClient(send), config.cache),
    close: () => transport.close(),
  };
}
