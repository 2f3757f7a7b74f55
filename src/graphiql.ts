import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
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

/** The encodings a file is served in. */
export type Encoding = 'br' | 'gzip' | 'identity';

/** One file as served: its validator, and its bytes in each encoding. */
export interface StaticFile {
  contentType: string;
  /** A strong validator: a SHA-256 of the uncompressed bytes, quoted. */
  etag: string;
  /** The bytes in `encoding`: compressed on the first request that asks for it, then kept. */
  encoded(encoding: Encoding): Promise<Uint8Array>;
}

/** The GraphiQL page (served at the endpoint) and its assets (by path, under `GRAPHIQL_ASSETS_PATH`). */
export interface GraphiQLPage {
  html: StaticFile;
  assets: ReadonlyMap<string, StaticFile>;
}

export interface GraphiQLPageSource {
  /** The page, built on the first call (and shared by every later one). */
  get(): Promise<GraphiQLPage>;
}

/**
 * GraphiQL served from the gateway itself, from @graphql-yoga/render-graphiql's bundle, instead of
 * Yoga's default page, which loads it from unpkg.com: it works offline and behind egress
 * firewalls. That package inlines everything into one 9 MB page; here the same script, styles,
 * editor workers and icon are separate files with content-hashed names
 * (`/graphiql/graphiql.<hash>.js`), cacheable forever (`plugins/use-graphiql-page.ts`), and the
 * page at the endpoint is a few KB that references them. The page is built once per process, on
 * the first visit, and each file is compressed (Brotli, gzip; in zlib's thread pool, off the event
 * loop) when first asked for in that encoding: loading the bundle and its compressed copies adds
 * about 75 MB to the process, which replicas that never serve GraphiQL (and almost every test)
 * never pay.
 */
export function createGraphiQLPage(options: GraphiQLOptions): GraphiQLPageSource {
  let page: Promise<GraphiQLPage> | undefined;
  const get = (): Promise<GraphiQLPage> => {
    if (page === undefined) {
      page = build(options);
      page.catch(() => {
        page = undefined;
      });
    }
    return page;
  };
  return { get };
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Files whose encodings are made when first asked for, one compression at a time across all of
 * them: run side by side, their buffers and zlib's state raised the process's peak RSS by about
 * 250 MB. A first visit waits only for what it loads (the page, then the script and styles; the
 * editor's workers later), not for every file in every encoding.
 */
function createStaticFiles(): (contentType: string, content: string | Uint8Array) => StaticFile {
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };
  return (contentType, content) => {
    const identity = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const made = new Map<Encoding, Promise<Uint8Array>>([['identity', Promise.resolve(identity)]]);
    const encoded = (encoding: Encoding): Promise<Uint8Array> => {
      let bytes = made.get(encoding);
      if (bytes === undefined) {
        bytes = serially(() => compress(identity, encoding));
        made.set(encoding, bytes);
        // A failed compression is tried again by the next request.
        bytes.catch(() => made.delete(encoding));
      }
      return bytes;
    };
    return { contentType, etag: `"${digest(identity)}"`, encoded };
  };
}

function compress(identity: Uint8Array, encoding: Encoding): Promise<Uint8Array> {
  if (encoding === 'identity') return Promise.resolve(identity);
  // Brotli quality 5: 4% larger than quality 9 for the 5 MB script, in a quarter of the time
  // (0.6 s against 2 s on a loaded 2-core machine), which a first visit waits for.
  if (encoding === 'br') {
    return brotli(identity, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    });
  }
  return gzipAsync(identity, { level: 6 });
}

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

async function build(options: GraphiQLOptions): Promise<GraphiQLPage> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const assets = new Map<string, StaticFile>();
  const staticFile = createStaticFiles();
  /** Adds a file under a name with its content's hash; answers its path. */
  const add = (name: string, extension: string, contentType: string, content: string | Uint8Array): string => {
    const file = staticFile(contentType, content);
    const path = `${GRAPHIQL_ASSETS_PATH}${name}.${file.etag.slice(1, 17)}.${extension}`;
    assets.set(path, file);
    return path;
  };
  const javascript = 'text/javascript; charset=utf-8';
  const icon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
  const js = add('graphiql', 'js', javascript, bundle.js);
  const css = add('graphiql', 'css', 'text/css; charset=utf-8', bundle.css);
  const editorWorkerService = add('editor.worker', 'js', javascript, bundle.editorWorkerService);
  const json = add('json.worker', 'js', javascript, bundle.jsonWorker);
  const graphql = add('graphql.worker', 'js', javascript, bundle.graphqlWorker);
  const favicon = icon ? add('favicon', 'ico', icon[1] as string, Buffer.from(icon[2] as string, 'base64')) : bundle.favicon;
  const workers = { editorWorkerService, json, graphql };
  // The page render-graphiql would render, with references instead of inlined files.
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title || 'Yoga GraphiQL')}</title>
    <link rel="icon" href="${escapeHtml(options.favicon || favicon)}" />
    <link rel="stylesheet" href="${css}" />
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
    <script src="${js}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
  return { html: staticFile('text/html; charset=utf-8', html), assets };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside a <script>: no `</script>` or `<!--` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
