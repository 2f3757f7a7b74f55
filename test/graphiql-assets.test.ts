import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_OPTIONS, createGraphiQLPage } from '../src/graphiql.js';
import { assetsDirectory, buildAssetsInChildProcess, readManifest } from '../src/graphiql-assets.js';
import { startStack } from './support/stack.js';

/** GraphiQL's files, compressed once per installation into a directory, by a child process. */
describe("GraphiQL's compressed files on disk", () => {
  const roots: string[] = [];
  const freshRoot = (): string => {
    const root = mkdtempSync(join(tmpdir(), 'graphiql-assets-test-'));
    roots.push(root);
    return root;
  };
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('builds every file in every encoding, each the same bytes once decoded, named and validated by its hash', async () => {
    const root = freshRoot();
    const page = await createGraphiQLPage(GRAPHIQL_OPTIONS, { cacheRoot: root }).get();
    const directory = assetsDirectory(root);
    expect(readdirSync(root)).toEqual([directory.slice(root.length + 1)]);
    expect(page.assets.size).toBe(6);
    const html = (await page.html.encoded('identity')).toString();
    for (const [path, file] of page.assets) {
      expect(html, `the page references ${path}`).toContain(path);
      const identity = Buffer.from(await file.encoded('identity'));
      const hash = createHash('sha256').update(identity).digest('base64url');
      expect(file.etag).toBe(`"${hash}"`);
      expect(path).toContain(`.${hash.slice(0, 16)}.`);
      expect(brotliDecompressSync(await file.encoded('br')).equals(identity), `${path} br`).toBe(true);
      expect(gunzipSync(await file.encoded('gzip')).equals(identity), `${path} gzip`).toBe(true);
    }
    const script = [...page.assets].find(([path]) => /\/graphiql\.[\w-]+\.js$/.test(path))![1];
    // The 5 MB script goes out as about 1.2 MB of Brotli.
    expect((await script.encoded('br')).byteLength).toBeLessThan(0.3 * (await script.encoded('identity')).byteLength);
  }, 120_000);

  it('a second gateway (a restart, a replica) uses the build on disk: nothing is built again', async () => {
    const root = freshRoot();
    await createGraphiQLPage(GRAPHIQL_OPTIONS, { cacheRoot: root }).get();
    const directory = assetsDirectory(root);
    const before = statSync(join(directory, 'manifest.json')).mtimeMs;
    const started = performance.now();
    const again = await createGraphiQLPage(GRAPHIQL_OPTIONS, { cacheRoot: root }).get();
    // No child process: it only read the manifest (a build takes seconds).
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(statSync(join(directory, 'manifest.json')).mtimeMs).toBe(before);
    expect(again.assets.size).toBe(6);
  }, 120_000);

  it('two processes building into the same place at once both finish, with one whole build and no leftovers', async () => {
    const root = freshRoot();
    // What a build killed midway leaves behind, an hour ago: a build removes it.
    const abandoned = join(root, 'render-graphiql-0.0.0-f1.staging-1-1');
    mkdirSync(abandoned);
    writeFileSync(join(abandoned, 'graphiql.js'), 'half');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(abandoned, hourAgo, hourAgo);
    await Promise.all([buildAssetsInChildProcess(root), buildAssetsInChildProcess(root)]);
    const directory = assetsDirectory(root);
    expect(readdirSync(root)).toEqual([directory.slice(root.length + 1)]);
    const manifest = await readManifest(directory);
    const files = readdirSync(directory);
    for (const entry of Object.values(manifest!.assets)) {
      expect(files).toEqual(expect.arrayContaining([entry.fileName, `${entry.fileName}.br`, `${entry.fileName}.gz`]));
    }
  }, 120_000);

  it('a cache root it cannot write falls back to a private temporary directory, and says so', async () => {
    const root = freshRoot();
    // A regular file where the directory should be: no process can create anything under it.
    const blocked = join(root, 'not-a-directory');
    writeFileSync(blocked, '');
    const fallbacks: string[] = [];
    const page = await createGraphiQLPage(GRAPHIQL_OPTIONS, {
      cacheRoot: join(blocked, 'graphiql'),
      onFallback: (_error, directory) => fallbacks.push(directory),
    }).get();
    expect(fallbacks).toHaveLength(1);
    roots.push(fallbacks[0]!);
    expect(fallbacks[0]!.startsWith(tmpdir())).toBe(true);
    expect(await readManifest(assetsDirectory(fallbacks[0]!))).toBeDefined();
    const [, file] = [...page.assets][0]!;
    expect((await file.encoded('br')).byteLength).toBeGreaterThan(0);
  }, 120_000);
});

describe('GRAPHIQL_ENABLED=false', () => {
  it('serves no page and no files, and builds nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'graphiql-off-test-'));
    const stack = await startStack({ env: { GRAPHIQL_ENABLED: 'false', GRAPHIQL_CACHE_DIR: root } });
    try {
      // What `main.ts` would start at start-up: there is nothing to start.
      expect(stack.gateway.graphiql).toBeNull();
      const page = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
      const body = await page.text();
      expect(body).not.toContain('renderYogaGraphiQL');
      // A GraphQL endpoint answering a client that accepts only HTML (GraphQL over HTTP).
      expect(page.status).toBe(406);
      expect((await fetch(`${stack.url}/graphiql/graphiql.0000000000000000.js`)).status).toBe(404);
      // Queries are served as ever.
      const query = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
      expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
      expect(readdirSync(root)).toEqual([]);
    } finally {
      await stack.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
