import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ClosedReason = 'connection_limit' | 'write_timeout' | 'pipelining';

export interface ConnectionGuardOptions {
  /** Open connections served; each one beyond gets a 503 (`CONNECTION_LIMIT`) and is closed. */
  maxConnections: number;
  /** A connection with output waiting that makes no write progress for this long is destroyed. */
  writeTimeoutMs: number;
  /** Requests queued on one connection (HTTP/1.1 pipelining) before it is destroyed. @default 16 */
  maxPipelined?: number;
  /** Told of each connection the guard closed. */
  onClose?: (reason: ClosedReason) => void;
}

export interface ConnectionGuard {
  /** Connections open now. */
  open(): number;
  /** Stops the write-progress sweep (the server's own close does the rest). */
  stop(): void;
}

export const CONNECTION_LIMIT_CODE = 'CONNECTION_LIMIT';

/** How long a connection over the limit may take to send its request before it is cut. */
const OVER_LIMIT_GRACE_MS = 1_000;

interface Watched {
  overLimit: boolean;
  /** Requests received and not yet answered. */
  pending: number;
  /** Output buffered in the process at the last sweep, and how long it has not shrunk. */
  lastBuffered: number;
  stalledMs: number;
}

/**
 * What one client can cost the process through its connections, bounded where Node's server does
 * not bound it by itself:
 *
 * - **Open connections.** Past `maxConnections`, a new connection gets one answer, HTTP 503 with
 *   `{ errors: [{ extensions: { code: 'CONNECTION_LIMIT' } }] }` and `Connection: close`, and is
 *   closed (after at most 1 s if it sends nothing).
 * - **Clients that stop reading.** Every second, each connection whose output waits in the
 *   process (the kernel's buffers are full) and has not shrunk since the last look accrues stall
 *   time; at `writeTimeoutMs` it is destroyed. This holds for answers and for SSE streams alike.
 * - **Pipelining.** Node answers pipelined requests in order and keeps the answers of the later
 *   ones in memory until the first is written: a client that sends many requests and reads none
 *   would hold them all. A connection with more than `maxPipelined` requests unanswered is destroyed.
 */
export function guardConnections(
  server: Server,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: ConnectionGuardOptions,
): ConnectionGuard {
  const maxPipelined = options.maxPipelined ?? 16;
  const sockets = new Map<Socket, Watched>();

  const close = (socket: Socket, reason: ClosedReason): void => {
    if (socket.destroyed) return;
    options.onClose?.(reason);
    socket.destroy();
  };

  server.on('connection', (socket: Socket) => {
    const watched: Watched = { overLimit: sockets.size >= options.maxConnections, pending: 0, lastBuffered: 0, stalledMs: 0 };
    sockets.set(socket, watched);
    socket.once('close', () => sockets.delete(socket));
    if (watched.overLimit) {
      socket.setTimeout(OVER_LIMIT_GRACE_MS, () => close(socket, 'connection_limit'));
    }
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const watched = sockets.get(socket);
    if (watched?.overLimit) {
      refuse(response);
      options.onClose?.('connection_limit');
      return;
    }
    if (watched !== undefined) {
      watched.pending += 1;
      response.once('close', () => {
        watched.pending -= 1;
      });
      if (watched.pending > maxPipelined) {
        close(socket, 'pipelining');
        return;
      }
    }
    handler(request, response);
  });

  const sweepMs = Math.max(10, Math.min(1_000, Math.floor(options.writeTimeoutMs / 4)));
  const sweep = setInterval(() => {
    for (const [socket, watched] of sockets) {
      const buffered = socket.writableLength;
      if (buffered === 0 || buffered < watched.lastBuffered) {
        watched.stalledMs = 0;
      } else {
        watched.stalledMs += sweepMs;
        if (watched.stalledMs >= options.writeTimeoutMs) close(socket, 'write_timeout');
      }
      watched.lastBuffered = buffered;
    }
  }, sweepMs);
  sweep.unref();

  return { open: () => sockets.size, stop: () => clearInterval(sweep) };
}

function refuse(response: ServerResponse): void {
  const body = JSON.stringify({
    errors: [{ message: 'Too many open connections; retry shortly.', extensions: { code: CONNECTION_LIMIT_CODE } }],
  });
  response.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': '1',
    connection: 'close',
  });
  response.end(body);
}
