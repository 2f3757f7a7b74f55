import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

/**
 * GraphiQL's script, styles, editor workers and icon, compressed once per installation into a
 * directory on disk, by a child process: the gateway itself never loads the 9 MB bundle of
 * @graphql-yoga/render-graphiql, and never compresses it while serving. The directory is named
 * after that package's version, so an upgrade builds a new one; a finished build is never changed.
 */

/** The encodings a file is kept in. */
export type Encoding = 'br' | 'gzip' | 'identity';
const ENCODINGS: readonly Encoding[] = ['br', 'gzip', 'identity'];

/** The files GraphiQL's page references. */
export type AssetName = 'script' | 'styles' | 'editorWorker' | 'jsonWorker' | 'graphqlWorker' | 'favicon';

export interface AssetEntry {
  /** The file's name as served: `<stem>.<first 16 characters of its hash>.<extension>`. */
  fileName: string;
  contentType: string;
  /** A strong validator: a SHA-256 of the uncompressed bytes, quoted. */
  etag: string;
}

/** `manifest.json` of a finished build: written last, so its presence means every file is there. */
export interface AssetManifest {
  assets: Record<AssetName, AssetEntry>;
}

/** The file of an asset in an encoding, inside the build's directory. */
export function encodedFile(entry: AssetEntry, encoding: Encoding): string {
  return encoding === 'identity' ? entry.fileName : `${entry.fileName}.${encoding === 'br' ? 'br' : 'gz'}`;
}

const require = createRequire(import.meta.url);
const BUNDLE_PACKAGE = '@graphql-yoga/render-graphiql';
/** Bump when the files or their encodings change: a new key, a new build. */
const FORMAT = 1;

/** The build's directory under `cacheRoot`: one per version of the bundle (and of this format). */
export function assetsDirectory(cacheRoot: string): string {
  const { version } = require(`${BUNDLE_PACKAGE}/package.json`) as { version: string };
  return join(cacheRoot, `render-graphiql-${version}-f${FORMAT}`);
}

/** Where builds go by default: `node_modules/.cache/`, next to the bundle they come from. */
export function defaultCacheRoot(): string {
  // `<node_modules>/@graphql-yoga/render-graphiql/package.json`
  const nodeModules = join(dirname(require.resolve(`${BUNDLE_PACKAGE}/package.json`)), '..', '..');
  return join(nodeModules, '.cache', 'fine-tunes-gateway', 'graphiql');
}

/** The finished build in `directory`, or undefined if there is none (yet). */
export async function readManifest(directory: string): Promise<AssetManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, 'manifest.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as AssetManifest;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Builds the files into `directory` (what the child process runs): each in every encoding, in a
 * staging directory first, renamed into place whole, so a reader sees all of a build or none of it.
 * Two replicas building at once both succeed: the second rename finds the first one's build.
 */
export async function writeAssets(directory: string): Promise<void> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const staging = `${directory}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    const javascript = 'text/javascript; charset=utf-8';
    const icon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
    const sources: Record<AssetName, [stem: string, extension: string, contentType: string, content: Uint8Array]> = {
      script: ['graphiql', 'js', javascript, Buffer.from(bundle.js)],
      styles: ['graphiql', 'css', 'text/css; charset=utf-8', Buffer.from(bundle.css)],
      editorWorker: ['editor.worker', 'js', javascript, Buffer.from(bundle.editorWorkerService)],
      jsonWorker: ['json.worker', 'js', javascript, Buffer.from(bundle.jsonWorker)],
      graphqlWorker: ['graphql.worker', 'js', javascript, Buffer.from(bundle.graphqlWorker)],
      favicon: ['favicon', 'ico', icon?.[1] ?? 'image/x-icon', Buffer.from(icon?.[2] ?? '', 'base64')],
    };
    const assets = {} as Record<AssetName, AssetEntry>;
    for (const [name, [stem, extension, contentType, content]] of Object.entries(sources) as [AssetName, (typeof sources)[AssetName]][]) {
      const hash = createHash('sha256').update(content).digest('base64url');
      const entry: AssetEntry = { fileName: `${stem}.${hash.slice(0, 16)}.${extension}`, contentType, etag: `"${hash}"` };
      for (const encoding of ENCODINGS) await writeFile(join(staging, encodedFile(entry, encoding)), await compress(content, encoding));
      assets[name] = entry;
    }
    const manifest: AssetManifest = { assets };
    await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2));
    try {
      await rename(staging, directory);
    } catch (error) {
      // Another process finished first (its build is the same): keep it.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  await removeAbandonedStaging(dirname(directory));
}

/** A build killed midway (its process killed with the gateway) leaves its staging directory: gone after this long. */
const ABANDONED_AFTER_MS = 10 * 60_000;

async function removeAbandonedStaging(cacheRoot: string): Promise<void> {
  for (const name of await readdir(cacheRoot)) {
    if (!name.includes('.staging-')) continue;
    const path = join(cacheRoot, name);
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > ABANDONED_AFTER_MS) await rm(path, { recursive: true, force: true });
  }
}

/** Compresses for the wire: Brotli 9 and gzip 9, made once per installation. */
function compress(content: Uint8Array, encoding: Encoding): Promise<Uint8Array> {
  if (encoding === 'identity') return Promise.resolve(content);
  // Brotli 9: 2.07 MB for all five files in 1.5 s on this machine; 11 saves another 9% for 19 s.
  if (encoding === 'br') {
    return brotli(content, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length },
    });
  }
  return gzipAsync(content, { level: 9 });
}

const STDERR_LIMIT = 4096;
const BUILD_NICENESS = 10;

/**
 * Runs `writeAssets(assetsDirectory(cacheRoot))` in a child process at a low CPU priority (nice
 * 10), so the gateway's memory never holds the bundle and its requests come first; not the lowest
 * (19), which a busy machine starves for minutes while a visitor waits. Resolves when the build is
 * there.
 */
export function buildAssetsInChildProcess(cacheRoot: string): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const typescript = self.endsWith('.ts');
  const entry = join(dirname(self), 'tools', `build-graphiql-assets.${typescript ? 'ts' : 'js'}`);
  // From source (`npm start`, the tests), the entry is TypeScript: run it through tsx, as they are.
  const loader = typescript ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...loader, entry, cacheRoot], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Nothing of the gateway's environment (its keys) is needed to compress files.
      env: { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) },
    });
    try {
      if (child.pid !== undefined) setPriority(child.pid, BUILD_NICENESS);
    } catch {
      // Not allowed here: it runs at normal priority.
    }
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.slice(0, STDERR_LIMIT - stderr.length);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`building GraphiQL's files under ${cacheRoot} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}
