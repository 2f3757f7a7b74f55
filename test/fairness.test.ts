import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDemoJobs } from '../src/simulator/fixtures.js';
import { sampleValue } from './support/prometheus.js';
import { NO_CACHE, type Stack, startStack } from './support/stack.js';

/**
 * Fair shares of the upstream bulkhead (`upstream/concurrency-limit.ts`) and remembered 401s
 * (`upstream/credential-standing.ts`), in forwarding mode, over HTTP against the simulator.
 */

const TENANT = 'sk-real-tenant-0123456789';
const FLOODER = 'sk-flooding-tenant-987654';
const tenantJobs = createDemoJobs({ seed: 11, count: 4, vendorExamples: false, owner: 'uid-t' });
const flooderJobs = createDemoJobs({ seed: 12, count: 4, vendorExamples: false, owner: 'uid-f' });

const JOB = 'query ($id: ID!) { fineTune(id: $id) { __typename ... on Error { code } } }';
const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

type Outcome = string;

describe('fair shares of the upstream bulkhead (forwarding mode)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ...NO_CACHE,
        DASHSCOPE_FORWARD_AUTH: 'true',
        // A fixed, small bulkhead: 4 calls in flight, 16 waiting.
        DASHSCOPE_MAX_CONCURRENCY: '4',
        DASHSCOPE_MIN_CONCURRENCY: '4',
        DASHSCOPE_INITIAL_CONCURRENCY: '4',
        DASHSCOPE_MAX_QUEUE: '16',
        DASHSCOPE_RETRY_MAX: '0',
        DASHSCOPE_BREAKER_THRESHOLD: '1000',
        DASHSCOPE_TIMEOUT_MS: '20000',
      },
      simulator: { tenants: { [TENANT]: tenantJobs, [FLOODER]: flooderJobs }, latencyMs: 100 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  let next = 0;
  /** One `fineTune` query for a job nobody else asks for (no shared calls); its `__typename` or error code. */
  async function ask(key: string): Promise<Outcome> {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: JOB, variables: { id: `ft-fair-${next++}` } }),
    });
    const body = (await response.json()) as { data?: { fineTune?: { __typename: string; code?: string } } };
    const result = body.data?.fineTune;
    return result?.code ?? result?.__typename ?? `http ${response.status}`;
  }

  /** `workers` callers asking one after the other until `stop()`. */
  function flood(workers: number, key: () => string): { stop(): Promise<Outcome[]> } {
    let running = true;
    const outcomes: Outcome[] = [];
    const done = Promise.all(
      Array.from({ length: workers }, async () => {
        while (running) outcomes.push(await ask(key()));
      }),
    );
    return {
      stop: async () => {
        running = false;
        await done;
        return outcomes;
      },
    };
  }

  /** The real tenant: 4 callers, 8 requests each, while the flood runs. */
  async function tenantRound(): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 8; i += 1) outcomes.push(await ask(TENANT));
      }),
    );
    return outcomes;
  }

  const ratio = (outcomes: Outcome[], code: string) => outcomes.filter((outcome) => outcome === code).length / outcomes.length;

  it('a tenant flooding with 32 callers: the real tenant never gets Overloaded; the flooder does', { timeout: 60_000 }, async () => {
    // The tenant has been seen before (its key is known-good): it has its own lane.
    expect(await ask(TENANT)).toBe('NotFound');
    expect(await ask(FLOODER)).toBe('NotFound');

    const flooding = flood(32, () => FLOODER);
    await waitFor(() => stack.gateway.health().upstream.queued >= 16);
    const tenant = await tenantRound();
    const flooder = await flooding.stop();

    const tenantOverloaded = ratio(tenant, 'Overloaded');
    console.info(
      `fairness (flooding tenant): real tenant Overloaded ${(tenantOverloaded * 100).toFixed(1)}% of ${tenant.length}; flooder Overloaded ${(ratio(flooder, 'Overloaded') * 100).toFixed(1)}% of ${flooder.length}`,
    );
    expect(tenant.every((outcome) => outcome === 'NotFound')).toBe(true);
    expect(ratio(flooder, 'Overloaded')).toBeGreaterThan(0);
    // The upstream never saw more than the bulkhead allows.
    expect(stack.sim.peakInFlight()).toBeLessThanOrEqual(4);
  });

  it('an anonymous caller with a new made-up key per request: the real tenant never gets Overloaded', { timeout: 60_000 }, async () => {
    expect(await ask(TENANT)).toBe('NotFound');
    let made = 0;
    const flooding = flood(32, () => `sk-made-up-${made++}`);
    await waitFor(() => stack.gateway.health().upstream.queued >= 16);
    const tenant = await tenantRound();
    const anonymous = await flooding.stop();

    const tenantOverloaded = ratio(tenant, 'Overloaded');
    console.info(
      `fairness (made-up keys): real tenant Overloaded ${(tenantOverloaded * 100).toFixed(1)}% of ${tenant.length}; anonymous Overloaded ${(ratio(anonymous, 'Overloaded') * 100).toFixed(1)}% of ${anonymous.length}`,
    );
    expect(tenant.every((outcome) => outcome === 'NotFound')).toBe(true);
    expect(anonymous.every((outcome) => outcome === 'InvalidApiKey' || outcome === 'Overloaded')).toBe(true);
    expect(ratio(anonymous, 'Overloaded')).toBeGreaterThan(0);
  });
});

describe('remembered 401s (forwarding mode)', () => {
  let stack: Stack;
  const TTL_MS = 5_000;
  beforeAll(async () => {
    stack = await startStack({
      env: { ...NO_CACHE, DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_REJECTED_KEY_TTL_MS: String(TTL_MS), DASHSCOPE_RETRY_MAX: '0' },
      simulator: { tenants: { [TENANT]: tenantJobs }, latencyMs: 20 },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.resetCalls());

  const entities = (key: string, ids: string[]) =>
    stack.raw(
      { query: ENTITIES, variables: { r: ids.map((id) => ({ __typename: 'FineTuneJob', id })) } },
      { authorization: `Bearer ${key}` },
    );
  const madeUpIds = Array.from({ length: 100 }, (_, i) => `ft-entity-${i}`);

  it('a made-up key costs one upstream call, not one per id: _entities with 100 representations, 10 times', async () => {
    const key = 'sk-made-up-entities';
    for (let i = 0; i < 10; i += 1) {
      const { status, body } = await entities(key, madeUpIds);
      expect(status).toBe(200);
      expect(body.errors).toHaveLength(100);
      expect(body.errors?.every((error) => error.extensions?.code === 'InvalidApiKey')).toBe(true);
    }
    console.info(`remembered 401s: 10 _entities requests x 100 ids with one made-up key cost ${stack.sim.calls.length} upstream call(s)`);
    expect(stack.sim.calls).toHaveLength(1);
    expect(stack.sim.calls[0]!.apiKey).toBe(key);
    expect(sampleValue(await stack.scrape(), 'gateway_cache_hits_total', { cache: 'rejected-credentials' })).toBeGreaterThanOrEqual(999);
  });

  it('the 401 is remembered per key, for the TTL only; a real key is never slowed by it', { timeout: 20_000 }, async () => {
    const key = 'sk-made-up-ttl';
    const first = await stack.raw({ query: JOB, variables: { id: 'ft-ttl-1' } }, { authorization: `Bearer ${key}` });
    expect(first.body.data.fineTune).toMatchObject({ __typename: 'AuthenticationError', code: 'InvalidApiKey' });
    await stack.raw({ query: JOB, variables: { id: 'ft-ttl-2' } }, { authorization: `Bearer ${key}` });
    expect(stack.sim.calls).toHaveLength(1);

    // Another key (the real tenant's) goes upstream as before: one call per id.
    const { body } = await entities(
      TENANT,
      tenantJobs.map((job) => job.job_id),
    );
    expect(body.errors ?? []).toHaveLength(0);
    expect(body.data._entities).toHaveLength(tenantJobs.length);
    expect(stack.sim.count('getJob', 1)).toBe(tenantJobs.length);

    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
    const before = stack.sim.calls.length;
    await stack.raw({ query: JOB, variables: { id: 'ft-ttl-3' } }, { authorization: `Bearer ${key}` });
    expect(stack.sim.calls.length - before).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
