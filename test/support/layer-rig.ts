import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DEMO_API_KEY } from '../../src/simulator/fixtures.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { createCredential } from '../../src/upstream/credential.js';
import { type Transport, createTransport } from '../../src/upstream/transport.js';

/** What a test of one upstream layer runs on: the real transport against the simulator. */
export interface LayerRig {
  readonly sim: Simulator;
  readonly transport: Transport;
  readonly credential: ReturnType<typeof createCredential>;
  /** The vendor's example job. */
  readonly path: string;
}

/**
 * Starts a simulator and a transport to it for the enclosing `describe` (and closes them after it);
 * faults and recorded calls are cleared before each test.
 */
export function useLayerRig(): LayerRig {
  let sim: Simulator | undefined;
  let transport: Transport | undefined;
  beforeAll(async () => {
    sim = await startSimulator();
    transport = createTransport({ origin: sim.origin });
  });
  afterAll(async () => {
    await transport?.close();
    await sim?.close();
  });
  beforeEach(() => {
    sim?.clearFaults();
    sim?.resetCalls();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the layer rig starts in beforeAll');
    return value;
  };
  return {
    get sim() {
      return started(sim);
    },
    get transport() {
      return started(transport);
    },
    credential: createCredential(DEMO_API_KEY, null),
    path: '/api/v1/fine-tunes/ft-202410291653-1c7f',
  };
}
