import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export interface OutboundGuard {
  /** Every connection attempt and DNS lookup of this process that did not stay on loopback. */
  readonly offLoopback: readonly string[];
  /** Connection attempts seen at all (to prove the guard was watching). */
  readonly attempts: number;
  stop(): void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Watches every TCP client socket this process opens (http, undici's fetch, node-fetch all end in
 * `net`), so a test can prove that nothing it ran reached beyond 127.0.0.1: no telemetry, no CDN,
 * no cloud-metadata probe, not even a DNS lookup.
 */
export function watchOutboundConnections(): OutboundGuard {
  const offLoopback: string[] = [];
  let attempts = 0;
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    socket.on('connectionAttempt', (ip: string, port: number) => {
      attempts += 1;
      if (!LOOPBACK.has(ip)) offLoopback.push(`connect ${ip}:${port}`);
    });
    socket.on('lookup', (_error: Error | null, address: string, _family: unknown, host: string) => {
      if (host !== 'localhost') offLoopback.push(`dns ${host} -> ${address}`);
    });
  };
  diagnosticsChannel.subscribe('net.client.socket', onSocket);
  return {
    offLoopback,
    get attempts() {
      return attempts;
    },
    stop: () => diagnosticsChannel.unsubscribe('net.client.socket', onSocket),
  };
}
