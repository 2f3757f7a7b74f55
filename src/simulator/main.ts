import { startSimulator } from './server.js';

/**
 * The simulator on its own, e.g. for the benchmark or to point a gateway at by hand:
 * `SIMULATOR_PORT=18080 npm run simulator`, then `DASHSCOPE_BASE_URL=http://127.0.0.1:18080`.
 * Prints one JSON line with its origin once it listens.
 */
const simulator = await startSimulator({
  port: Number(process.env.SIMULATOR_PORT ?? 0) || 0,
  latencyMs: Number(process.env.SIMULATOR_LATENCY_MS ?? 0) || 0,
  control: true,
});
console.log(JSON.stringify({ simulator: simulator.origin }));
const stop = (): void => {
  void simulator.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
