import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import {
  type AssetEntry,
  type AssetManifest,
  type AssetName,
  type Encoding,
  assetsDirectory,
  buildAssetsInChildProcess,
  encodedFile,
  readManifest,
} from './graphiql-assets.js';
import { encodeLogCursor } from './schema/log-cursor.js';

/** The vendor's example job: present in the simulator's demo data, so the tour runs as-is. */
export const EXAMPLE_JOB_ID = 'ft-202410291653-1c7f';

/** The cursor of the example job's 1245th log line: its tail in the tour sends the last 5 lines (of 1250 in the simulator). */
export const EXAMPLE_TAIL_AFTER = encodeLogCursor(1244);

/** The operations GraphiQL opens with: a tour of the API for a frontend engineer. */
export const GRAPHIQL_DEFAULT_QUERY = `# Fine-tuning jobs over GraphQL.
# Press ▶ and pick an operation, or put the cursor
# in one and press Ctrl+Enter. The Docs pane (book
# icon, top left) documents every type and field.
#
# Every field answers a union of the data and the
# expected errors: select the data with
#   ... on JobConnection / ... on FineTuneJob
# and every failure at once with
#   ... on Error { message code requestId }

# A page of jobs, newest first. For the next page,
# set Variables to {"page": {"number": 2, "size": 5}}
query RecentJobs(
  $page: PageInput = { number: 1, size: 5 }
) {
  fineTunes(page: $page) {
    __typename
    ... on JobConnection {
      totalCount
      totalPages
      pageInfo { hasNextPage hasPreviousPage endCursor }
      nodes {
        id model status isTerminal
        createdAt durationSeconds
      }
    }
    ... on Error { message code requestId }
  }
}

# One job by id.
query OneJob($id: ID! = "${EXAMPLE_JOB_ID}") {
  fineTune(id: $id) {
    __typename
    ... on FineTuneJob {
      id status rawStatus model finetunedOutput
      createdAt endedAt durationSeconds
      hyperParameters { nEpochs learningRate raw }
    }
    ... on Error { message code requestId }
  }
}

# Errors are data: an unknown id answers
# NotFoundError with the upstream's request_id
# (quote it in support tickets), not an entry
# in "errors".
query MissingJob {
  fineTune(id: "ft-000000000000-none") {
    __typename
    ... on FineTuneJob { id status }
    ... on NotFoundError { message requestId }
    ... on Error { message code requestId }
  }
}

# Live status over Server-Sent Events: the job now,
# then at every status change; completes once the job
# has ended (this one already has).
subscription WatchJob($id: ID! = "${EXAMPLE_JOB_ID}") {
  fineTuneStatus(id: $id) {
    __typename
    ... on FineTuneJob { id status isTerminal endedAt }
    ... on Error { message code requestId }
  }
}

# A job page: the job at once, its log and checkpoints
# in a later part of the same response (@defer).
query JobPage($id: ID! = "${EXAMPLE_JOB_ID}") {
  fineTune(id: $id) {
    __typename
    ... on FineTuneJob {
      id status model endedAt
      ... @defer {
        logs(first: 20) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { offset text } }
        }
        checkpoints { id step status modelName }
      }
    }
    ... on Error { message code requestId }
  }
}

# Tail a job's log over Server-Sent Events: each new
# line once, in order; completes when the job has ended
# and its last line was sent. \`after\` resumes after a
# line's cursor (here: the example job's last 5 lines).
subscription TailLogs(
  $id: ID! = "${EXAMPLE_JOB_ID}"
  $after: String = "${EXAMPLE_TAIL_AFTER}"
) {
  fineTuneLogs(id: $id, after: $after) { offset text cursor }
}

# Actions are mutations (POST only). This creates a
# job (against the real upstream: a real, billed one).
# Run it twice: the same idempotencyKey answers the
# same job and never creates a second one. Change the
# key for a new job.
mutation CreateJob(
  $input: CreateFineTuneInput! = {
    model: "qwen3-14b"
    trainingFileIds: ["86a9fe7f-dd77-43b0-9834-2170e12339ec"]
    trainingType: "sft"
    hyperParameters: { n_epochs: 3, learning_rate: "1.6e-5" }
    idempotencyKey: "graphiql-tour-1"
  }
) {
  createFineTune(input: $input) {
    __typename
    ... on FineTuneJob { id status model createdAt }
    ... on InvalidParameterError { argument }
    ... on Error { message code requestId }
  }
}

# Cancel a job that has not finished: set Variables
# to {"id": "<the id CreateJob answered>"}. It answers
# the job read fresh (CANCELING, then CANCELED), and
# WatchJob on that id sees the change at once. A
# finished job answers UnsupportedOperationError.
mutation CancelJob($id: ID! = "${EXAMPLE_JOB_ID}") {
  cancelFineTune(id: $id) {
    __typename
    ... on FineTuneJob { id status isTerminal }
    ... on Error { message code requestId }
  }
}

# Bad input is answered by the gateway itself,
# without calling the upstream.
query InvalidPage {
  fineTunes(page: { size: 500 }) {
    __typename
    ... on InvalidParameterError { argument }
    ... on Error { message code }
  }
}
`;

/** GraphiQL's options; `endpoint` is filled in by Yoga. */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'Fine-tuning jobs · GraphQL',
  defaultQuery: GRAPHIQL_DEFAULT_QUERY,
  // Subscriptions use Yoga's built-in Server-Sent Events transport.
  subscriptionsProtocol: 'SSE',
};

/** Where GraphiQL's script, styles, editor workers and icon are served, under content-hashed names. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

export type { Encoding };

/** One file as served: its validator, and its bytes in each encoding. */
export interface StaticFile {
  contentType: string;
  /** A strong validator: a SHA-256 of the uncompressed bytes, quoted. */
  etag: string;
  /** The bytes in `encoding`: read from the build on the first request that asks for it, then kept. */
  encoded(encoding: Encoding): Promise<Uint8Array>;
}

/** The GraphiQL page (served at the endpoint) and its assets (by path, under `GRAPHIQL_ASSETS_PATH`). */
export interface GraphiQLPage {
  html: StaticFile;
  assets: ReadonlyMap<string, StaticFile>;
}

export interface GraphiQLPageSource {
  /** The page, made on the first call (and shared by every later one). */
  get(): Promise<GraphiQLPage>;
}

export interface GraphiQLPageSettings {
  /** GRAPHIQL_CACHE_DIR: where the compressed files are built, once per installation. */
  cacheRoot: string;
  /** Told when the cache root cannot be used and a private temporary directory is used instead. */
  onFallback?: (error: unknown, directory: string) => void;
}

/**
 * GraphiQL served from the gateway itself, from @graphql-yoga/render-graphiql's bundle, instead of
 * Yoga's default page, which loads it from unpkg.com: it works offline and behind egress
 * firewalls. That package inlines everything into one 9 MB page; here the same script, styles,
 * editor workers and icon are separate files with content-hashed names
 * (`/graphiql/graphiql.<hash>.js`), cacheable forever (`plugins/use-graphiql-page.ts`), and the
 * page at the endpoint is a few KB that references them.
 *
 * The files are compressed once per installation, by a child process, into `cacheRoot`
 * (`graphiql-assets.ts`); `main.ts` asks for the page at start-up, so a first visit finds them
 * ready, and a restart finds them on disk. The gateway itself only reads the compressed files a
 * browser asks for (about 2 MB in Brotli), never the 9 MB bundle: replicas that never serve GraphiQL
 * (and almost every test) never pay for it.
 */
export function createGraphiQLPage(options: GraphiQLOptions, settings: GraphiQLPageSettings): GraphiQLPageSource {
  let page: Promise<GraphiQLPage> | undefined;
  const get = (): Promise<GraphiQLPage> => {
    if (page === undefined) {
      page = load(options, settings);
      page.catch(() => {
        page = undefined;
      });
    }
    return page;
  };
  return { get };
}

async function load(options: GraphiQLOptions, { cacheRoot, onFallback }: GraphiQLPageSettings): Promise<GraphiQLPage> {
  let directory = assetsDirectory(cacheRoot);
  let manifest: AssetManifest;
  try {
    manifest = await built(cacheRoot, directory);
  } catch (error) {
    // A read-only file system, say: build into a directory of this process's own instead.
    const privateRoot = await mkdtemp(join(tmpdir(), 'fine-tunes-gateway-graphiql-'));
    directory = assetsDirectory(privateRoot);
    onFallback?.(error, privateRoot);
    manifest = await built(privateRoot, directory);
  }
  const assets = new Map<string, StaticFile>();
  const paths = {} as Record<AssetName, string>;
  for (const [name, entry] of Object.entries(manifest.assets) as [AssetName, AssetEntry][]) {
    paths[name] = `${GRAPHIQL_ASSETS_PATH}${entry.fileName}`;
    assets.set(paths[name], fileOnDisk(directory, entry));
  }
  return { html: fileInMemory('text/html; charset=utf-8', renderPage(options, paths)), assets };
}

/** The build under `cacheRoot`: the one on disk, else a new one. */
async function built(cacheRoot: string, directory: string): Promise<AssetManifest> {
  const found = await readManifest(directory);
  if (found) return found;
  await buildAssetsInChildProcess(cacheRoot);
  const manifest = await readManifest(directory);
  if (!manifest) throw new Error(`the GraphiQL build left no manifest in ${directory}`);
  return manifest;
}

function fileOnDisk(directory: string, entry: AssetEntry): StaticFile {
  const read = new Map<Encoding, Promise<Uint8Array>>();
  const encoded = (encoding: Encoding): Promise<Uint8Array> => {
    let bytes = read.get(encoding);
    if (bytes === undefined) {
      bytes = readFile(join(directory, encodedFile(entry, encoding)));
      read.set(encoding, bytes);
      // A failed read is tried again by the next request.
      bytes.catch(() => read.delete(encoding));
    }
    return bytes;
  };
  return { contentType: entry.contentType, etag: entry.etag, encoded };
}

/** A small file (the page), compressed at once. */
function fileInMemory(contentType: string, content: string): StaticFile {
  const identity = Buffer.from(content, 'utf8');
  const bytes: Record<Encoding, Uint8Array> = { identity, br: brotliCompressSync(identity), gzip: gzipSync(identity) };
  const etag = `"${createHash('sha256').update(identity).digest('base64url')}"`;
  return { contentType, etag, encoded: async (encoding) => bytes[encoding] };
}

/** The page render-graphiql would render, with references to the files instead of their contents. */
function renderPage(options: GraphiQLOptions, paths: Record<AssetName, string>): string {
  const workers = { editorWorkerService: paths.editorWorker, json: paths.jsonWorker, graphql: paths.graphqlWorker };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title || 'Yoga GraphiQL')}</title>
    <link rel="icon" href="${escapeHtml(options.favicon || paths.favicon)}" />
    <link rel="stylesheet" href="${paths.styles}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self['MonacoEnvironment'] = {
        globalAPI: false,
        getWorkerUrl: function (moduleId, label) {
          return workers[label];
        },
      };
    </script>
    <script src="${paths.script}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script>: no `</script>` or `<!--` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
