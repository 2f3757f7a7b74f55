import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { guardConnections } from './http/connection-guard.js';
import { createLogger } from './logger.js';
import { createGateway } from './server.js';
import { DEMO_API_KEY } from './simulator/fixtures.js';
import { createTracerProvider } from './telemetry/tracing.js';
import { type Simulator, startSimulator } from './simulator/server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);

  let simulator: Simulator | null = null;
  if (config.useSimulator) {
    // The living demo: new jobs now and then, moving through their statuses in real time.
    simulator = await startSimulator({ latencyMs: config.simulatorLatencyMs, living: { realTime: true } });
    config = { ...config, upstreamOrigin: simulator.origin, apiKey: DEMO_API_KEY };
    logger.warn(
      { upstream: simulator.origin },
      'No DASHSCOPE_API_KEY and no DASHSCOPE_BASE_URL: serving demo data from the embedded simulator',
    );
  }

  const tracerProvider = config.tracing ? await createTracerProvider(config.tracing) : undefined;
  const gateway = createGateway(config, { logger, tracerProvider });
  const server = createServer();
  const connections = guardConnections(server, gateway.handle, {
    maxConnections: config.connections.max,
    writeTimeoutMs: config.connections.writeTimeoutMs,
    onClose: (reason) => gateway.metrics.http.connectionsClosed.inc({ reason }),
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info(
    {
      upstream: config.upstreamOrigin,
      forwardAuth: config.forwardAuth,
      metrics: config.metricsEnabled ? '/metrics' : false,
      tracing: config.tracing ? config.tracing.endpoint : false,
    },
    `GraphQL gateway ready at http://${host}:${port}/graphql`,
  );

  // GraphiQL's files, compressed once per installation (by a child process, at a low CPU priority)
  // and found on disk after that: a first visit does not wait for them.
  gateway.graphiql?.get().then(
    () => logger.debug('GraphiQL files ready'),
    (error: unknown) => logger.error({ err: error }, 'GraphiQL files could not be built: GraphiQL will try again on its next visit'),
  );

  let stopping = false;
  /**
   * Graceful shutdown, in two steps.
   *
   * 1. Drain (SIGTERM only, `SHUTDOWN_DRAIN_MS`): keep serving while `/ready` answers 503, so the
   *    load balancer takes this replica out before its listener goes away; every answer carries
   *    `Connection: close` so keep-alive clients reconnect (elsewhere), and live subscriptions end
   *    with a `SHUTTING_DOWN` error result so their clients subscribe again elsewhere. SIGINT (a
   *    person at a terminal) and an uncaught exception skip the wait.
   * 2. Close: stop accepting connections, let the requests in flight finish (each is bounded by the
   *    upstream deadline anyway), close keep-alive connections as they fall idle, cut whatever is
   *    left after SHUTDOWN_TIMEOUT_MS, then close the upstream pool.
   */
  const stop = (signal: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    const drainMs = signal === 'SIGTERM' ? config.shutdownDrainMs : 0;
    gateway.drain();
    if (drainMs > 0) {
      logger.info({ signal, drainMs }, 'draining: /ready answers 503 until the listener closes');
      setTimeout(() => close(signal, exitCode, started), drainMs);
    } else {
      close(signal, exitCode, started);
    }
  };
  const close = (signal: string, exitCode: number, started: number): void => {
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing requests in flight');
    // Live subscriptions hold their connections open: end their streams first, or close() would wait.
    gateway.jobStatus.close();
    server.close(() => {
      clearInterval(idleSweep);
      connections.stop();
      clearTimeout(deadline);
      // Flush the spans still queued for the collector before exiting.
      void Promise.all([gateway.close(), simulator?.close(), tracerProvider?.shutdown()])
        .catch((error: unknown) => logger.error({ err: error }, 'error while closing the upstream pool'))
        .then(() => {
          logger.info({ ms: Date.now() - started }, 'shut down');
          process.exit(exitCode);
        });
    });
    // A keep-alive connection becomes idle once its last response is sent: close it then.
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      logger.warn('shutdown timeout: closing the connections still busy');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // A rejection nobody handled is a bug off any request's path: log it and keep serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  // A thrown exception nobody caught may have left state half-changed: drain and exit non-zero.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    stop('uncaughtException', 1);
  });
}

void main();
