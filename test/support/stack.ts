import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { TracerProvider } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import { print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type ConnectionGuard, guardConnections } from '../../src/http/connection-guard.js';
import { type Gateway, createGateway } from '../../src/server.js';
import { DEMO_API_KEY } from '../../src/simulator/fixtures.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';
import { type Transport, createTransport } from '../../src/upstream/transport.js';

export interface Stack {
  sim: Simulator;
  gateway: Gateway;
  config: Config;
  /** The gateway's connections, as main.ts guards them. */
  connections: ConnectionGuard;
  /** `http://127.0.0.1:<port>` of the gateway. */
  url: string;
  /** POSTs a typed document to /graphql and returns the parsed body. */
  query<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TResult>>;
  /** GETs /metrics and returns the Prometheus text. */
  scrape(): Promise<string>;
  /** POSTs raw GraphQL text; returns the HTTP status and body. */
  raw(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLResponse<any> }>;
  close(): Promise<void>;
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: (string | number)[] }[];
}

/**
 * Env for tests about upstream calls themselves (faults, retries, breaker, tenants): the demo jobs
 * are mostly finished, so the finished-job cache would otherwise answer them from memory.
 */
export const NO_CACHE = { DASHSCOPE_CACHE_TTL_MS: '0' } as const;

export interface StackOptions {
  env?: Record<string, string | undefined>;
  simulator?: SimulatorOptions;
  /** Where the gateway's pino lines go (set LOG_LEVEL in `env` too). @default stdout */
  logs?: DestinationStream;
  /** Wraps the real undici transport (for failures no upstream reply can cause). */
  wrapTransport?: (transport: Transport) => Transport;
  /** Turns tracing on, with spans going to this provider. */
  tracerProvider?: TracerProvider;
  /** Plugins appended to the gateway's own list (e.g. a probe that records the hooks it sees). */
  plugins?: Plugin<any, any, any>[];
}

/** The simulator as a real HTTP upstream and the gateway on a real socket, both on 127.0.0.1. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator(options.simulator);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    DASHSCOPE_BASE_URL: sim.origin,
    DASHSCOPE_API_KEY: DEMO_API_KEY,
    ...options.env,
  });
  const logger = createLogger(config, options.logs);
  const transport = options.wrapTransport
    ? options.wrapTransport(
        createTransport({
          origin: config.upstreamOrigin,
          connectTimeoutMs: config.connectTimeoutMs,
          headersTimeoutMs: config.timeoutMs,
          bodyTimeoutMs: config.timeoutMs,
        }),
      )
    : undefined;
  const gateway = createGateway(config, {
    logger,
    tracerProvider: options.tracerProvider,
    ...(transport ? { transport } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  // As main.ts serves it.
  const server: Server = createServer();
  const connections = guardConnections(server, gateway.handle, {
    maxConnections: config.connections.max,
    writeTimeoutMs: config.connections.writeTimeoutMs,
    onClose: (reason) => gateway.metrics.http.connectionsClosed.inc({ reason }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const raw = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<any> };
  };

  return {
    sim,
    gateway,
    config,
    connections,
    url,
    raw,
    async scrape() {
      const response = await fetch(`${url}/metrics`);
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
    async query(document, variables, headers) {
      const { body } = await raw({ query: print(document), variables }, headers);
      return body;
    },
    async close() {
      connections.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await sim.close();
    },
  };
}
