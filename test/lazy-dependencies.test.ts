import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Optional parts load only when configured: ioredis (about 8 MB of resident memory) only with
 * REDIS_URL. Each case builds the gateway in a fresh Node process and reads what it required.
 */

const ROOT = resolve(import.meta.dirname, '..');
const PROBE = `
import { createRequire } from 'node:module';
const { loadConfig } = await import('./src/config.ts');
const { createGateway } = await import('./src/server.ts');
const { createLogger } = await import('./src/logger.ts');
const gateway = createGateway(loadConfig(process.env), { logger: createLogger({ logLevel: 'silent' }) });
const required = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ ioredis: required.some((file) => file.includes('/node_modules/ioredis/')) }));
await gateway.close();
`;

async function loadedBy(env: Record<string, string>): Promise<{ ioredis: boolean }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DASHSCOPE_API_KEY: 'sk-lazy-probe', ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { ioredis: boolean };
}

describe('optional dependencies', () => {
  it('a gateway without REDIS_URL never loads ioredis; one with it does', async () => {
    const [without, withRedis] = await Promise.all([
      loadedBy({}),
      // Nothing listens there: the client is made (and loaded) all the same, and retries until closed.
      loadedBy({ REDIS_URL: 'redis://127.0.0.1:1' }),
    ]);
    expect(without).toEqual({ ioredis: false });
    expect(withRedis).toEqual({ ioredis: true });
  }, 40_000);
});
