import { Pool } from 'undici';
import { UpstreamError } from '../errors.js';
import { type CallSignal, type Send, abortedError, isIdempotent } from './layer.js';

export interface TransportOptions {
  origin: string;
  /** Keep-alive sockets to the upstream origin. @default 32 */
  connections?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** Time to the response headers. @default 10000 */
  headersTimeoutMs?: number;
  /** Time between body chunks. @default 10000 */
  bodyTimeoutMs?: number;
  /** Replies larger than this are cut off and reported as an UpstreamError. @default 8 MiB */
  maxBodyBytes?: number;
}

export interface Transport {
  send: Send;
  close(): Promise<void>;
}

/** A pooled keep-alive undici client for one upstream origin. */
export function createTransport(options: TransportOptions): Transport {
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const pool = new Pool(options.origin, {
    connections: options.connections ?? 32,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    bodyTimeout: options.bodyTimeoutMs ?? 10_000,
  });

  const send: Send = async (request) => {
    const headers: Record<string, string> = {
      ...request.headers,
      accept: 'application/json',
      authorization: `Bearer ${request.credential.apiKey}`,
    };
    if (request.credential.workspace !== null) headers['x-dashscope-workspace'] = request.credential.workspace;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await pool.request({
        method: request.method ?? 'GET',
        path: request.path,
        headers,
        body: request.body,
        // undici never repeats a request by itself; this also keeps an action off a pipelined socket.
        idempotent: isIdempotent(request),
        signal: request.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBodyBytes) {
          response.body.destroy();
          throw new UpstreamError('The upstream reply was too large.', 'ResponseTooLarge', null, response.statusCode);
        }
        chunks.push(chunk as Buffer);
      }
      return {
        status: response.statusCode,
        headers: response.headers,
        body: withoutSecret(Buffer.concat(chunks, size).toString('utf8'), request.credential.apiKey),
      };
    } catch (error) {
      throw toNetworkError(error, request.signal);
    }
  };

  return { send, close: () => pool.close() };
}

/**
 * An upstream, or a proxy in front of it, may echo the credential back ("invalid key sk-…"): it
 * goes no further than here, whatever later code does with the body.
 */
function withoutSecret(body: string, secret: string): string {
  // Too short to be a real key, and replacing it would mangle ordinary text.
  if (secret.length < 8) return body;
  return body.includes(secret) ? body.replaceAll(secret, '[redacted]') : body;
}

function toNetworkError(error: unknown, signal: CallSignal | undefined): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (signal?.aborted) return abortedError(signal, error);
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: unknown }).name;
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new UpstreamError('The upstream did not answer in time.', 'Timeout', null, null, { cause: error });
  }
  if (code === 'UND_ERR_ABORTED' || name === 'AbortError') {
    return new UpstreamError('The upstream call was aborted.', 'Aborted', null, null, { cause: error });
  }
  if (code === 'ECONNREFUSED') {
    return new UpstreamError('The upstream refused the connection.', 'ConnectionRefused', null, null, { cause: error });
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new UpstreamError('The upstream connection was reset.', 'ConnectionReset', null, null, { cause: error });
  }
  return new UpstreamError('The upstream could not be reached.', 'ConnectionFailed', null, null, { cause: error });
}
