import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `npm start` as a new user runs it: no key, no base URL -> the embedded simulator. */
describe('npm start with no configuration', () => {
  let child: ChildProcess;
  let url = '';
  const lines: string[] = [];
  /** Where this run's GraphiQL files go: empty at start, so the build at start-up is seen. */
  const graphiqlCache = mkdtempSync(join(tmpdir(), 'start-graphiql-'));

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', GRAPHIQL_CACHE_DIR: graphiqlCache };
    delete env.DASHSCOPE_API_KEY;
    delete env.DASHSCOPE_BASE_URL;
    delete env.DASHSCOPE_FORWARD_AUTH;
    // Whatever the machine's environment says, this test exports no spans anywhere.
    for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in: ${lines.join('\n')}`)), 20_000);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        lines.push(...chunk.split('\n').filter(Boolean));
        const ready = /ready at (http:\/\/\S+\/graphql)/.exec(chunk);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
    });
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(graphiqlCache, { recursive: true, force: true });
  });

  it("compresses GraphiQL's files at start-up, before anyone visits", async () => {
    const manifest = (): boolean =>
      readdirSync(graphiqlCache).some((name) => !name.includes('staging') && existsSync(join(graphiqlCache, name, 'manifest.json')));
    await expect.poll(manifest, { timeout: 120_000, interval: 200 }).toBe(true);
  }, 130_000);

  it('says it runs on the simulator and serves demo data', async () => {
    expect(lines.join('\n')).toMatch(/embedded simulator/);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ fineTunes { ... on JobConnection { totalCount nodes { id } } } }' }),
    });
    const body = (await response.json()) as { data: { fineTunes: { totalCount: number; nodes: unknown[] } } };
    expect(body.data.fineTunes.totalCount).toBeGreaterThan(10);
    expect(body.data.fineTunes.nodes).toHaveLength(10);
  });

  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('graphiql');
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
