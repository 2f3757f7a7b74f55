import { describe, expect, it } from 'vitest';
import { type IdempotencyEntry, IdempotencyStoreFull, createMemoryIdempotencyStore } from '../src/actions/idempotency-store.js';

/** The in-process idempotency store's protocol and bounds (the mutations test covers it over HTTP). */
describe('in-process idempotency store', () => {
  const entry = (jobId: string, fingerprint = 'f'): IdempotencyEntry => ({ fingerprint, outcome: { kind: 'job', jobId } });

  it('one claimant at a time; others wait for its outcome, later callers read it', async () => {
    const store = createMemoryIdempotencyStore({ maxKeys: 10 });
    expect(await store.claim('k', 'f')).toEqual({ state: 'claimed' });
    const busy = await store.claim('k', 'f');
    if (busy.state !== 'busy') throw new Error(`expected busy, got ${busy.state}`);
    expect(busy.fingerprint).toBe('f');
    await store.complete('k', entry('ft-1'));
    expect(await busy.settled).toEqual(entry('ft-1'));
    expect(await store.claim('k', 'f')).toEqual({ state: 'done', entry: entry('ft-1') });
  });

  it('a released key tells its waiters (null) and can be claimed again', async () => {
    const store = createMemoryIdempotencyStore({ maxKeys: 10 });
    await store.claim('k', 'f');
    const busy = await store.claim('k', 'f');
    await store.release('k');
    expect(busy.state === 'busy' && (await busy.settled)).toBeNull();
    expect(await store.claim('k', 'f')).toEqual({ state: 'claimed' });
  });

  it('forgets a key after its time to live', async () => {
    const store = createMemoryIdempotencyStore({ maxKeys: 10, ttlMs: 30 });
    await store.claim('k', 'f');
    await store.complete('k', entry('ft-1'));
    expect((await store.claim('k', 'f')).state).toBe('done');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await store.claim('k', 'f')).state).toBe('claimed');
  });

  it('is bounded: at most maxKeys outcomes (least recently used go) and maxKeys creates in progress', async () => {
    const store = createMemoryIdempotencyStore({ maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) {
      await store.claim(key, 'f');
      await store.complete(key, entry(key));
    }
    expect((await store.claim('a', 'f')).state).toBe('claimed');
    expect((await store.claim('c', 'f')).state).toBe('done');
    await store.claim('x', 'f');
    await expect(store.claim('y', 'f')).rejects.toBeInstanceOf(IdempotencyStoreFull);
  });
});
