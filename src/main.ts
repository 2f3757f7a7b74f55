import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
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
    simulator = await startSimulator({ latencyMs: Number(process.env.SIMULATOR_LATENCY_MS ?? 0) || 0 });
    config = { ...config, upstreamOrigin: simulator.origin, apiKey: DEMO_API_KEY };
    logger.warn(
      { upstream: simulator.origin },
      'No DASHSCOPE_API_KEY and no DASHSCOPE_BASE_URL: serving demo data from the embedded simulator',
    );
  }

  const tracerProvider = config.tracing ? createTracerProvider(config.tracing) : undefined;
  const gateway = createGateway(config, { logger, tracerProvider });
  const server = createServer(gateway.yoga);
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

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close(() => {
      // Flush the spans still queued for the collector before exiting.
      void Promise.allSettled([gateway.close(), simulator?.close(), tracerProvider?.shutdown()]).then(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
