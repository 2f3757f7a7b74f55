import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../src/simulator/fixtures.js';
import type { SimCall } from '../src/simulator/server.js';
import type { Transport } from '../src/upstream/transport.js';
import { JobByIdDocument, JobsPageDocument, JobsWithDetailsDocument } from './generated/graphql.js';
import { type LogCapture, createLogCapture } from './support/log-capture.js';
import { parsePrometheus, sampleValue } from './support/prometheus.js';
import { type Stack, type StackOptions, startStack } from './support/stack.js';

/**
 * The Node front (`src/http/node-front.ts`) is the second way into the one pipeline: for JSON and
 * GET requests it adapts the Node request itself instead of whatwg-node's adapter. Every hook runs
 * either way, so the answers must be observably identical. This suite is differential: two real
 * stacks (simulator over HTTP, gateway on a real socket) that differ only in `GRAPHQL_NODE_FRONT`
 * (on / off), receive exactly the same requests in the same order, and every answer of the "on"
 * stack is compared with the answer of the "off" stack at the same position:
 *
 * - status, every response header (names lowercased; only `date`, `connection` and `keep-alive`
 *   are left out), the body byte for byte and as parsed JSON;
 * - the upstream calls each request caused (endpoint, URL, status);
 * - the request's log line (every field but `time` and `durationMs`) and the messages of every
 *   other line it logged (Yoga's own debug lines included: both ways run Yoga's handling);
 * - the change of every `/metrics` sample that counts something (counters, gauges, histogram
 *   `_count`s; not timings, which differ between any two runs).
 *
 * Only values that differ between any two runs of the same request are replaced by placeholders
 * before the comparison, after checking them: the upstream's `request_id`s (random per call; each
 * one in an answer or a log line must be one of the calls that request caused on its own stack) and
 * the `errorId` of a masked error (random per error; the one in the answer must be the one on the
 * request's log line). Both are UUIDs, so the raw byte lengths are compared as well.
 *
 * Each case sends its request twice to each stack, so that a first and a repeated text are both
 * covered. Query texts carry a per-case comment, so that every case starts from a text the gateway
 * has not seen.
 *
 * Which way in served a request is told by the gateway's own counters (`gateway.frontCounts`), not
 * by log text: "direct" when the "on" stack's front served it while the "off" stack's adapter did;
 * "adapter" when both stacks handed it to whatwg-node's adapter (bodies the front does not read:
 * other content types, chunked or compressed bodies, bodies over the limit).
 */

const JOB_ID = 'ft-202410291653-1c7f';
const MISSING_ID = 'ft-000000000000-none';
/** The transport throws a TypeError for this id: the only way to provoke a bug from outside. */
const BUG_ID = 'ft-bug';
/** Small enough to send a body over it; large enough for every query here. */
const MAX_BODY_BYTES = 4000;

/** Headers that differ between any two answers, or belong to the connection rather than the answer. */
const IGNORED_HEADERS = new Set(['date', 'connection', 'keep-alive']);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
/** What the values that differ between any two runs are replaced with, once checked. */
const UPSTREAM_REQUEST_ID = '<upstream-request-id>';
const ERROR_ID = '<error-id>';

const ENV = {
  LOG_LEVEL: 'trace',
  DASHSCOPE_RETRY_MAX: '0',
  DASHSCOPE_BREAKER_THRESHOLD: '1000',
  GRAPHQL_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
};

/** A bug no upstream reply can cause (as in secrets.test.ts): the real transport, except for BUG_ID. */
const buggyTransport = (transport: Transport): Transport => ({
  ...transport,
  send: async (request) => {
    if (request.path.endsWith(`/${BUG_ID}`)) throw new TypeError("Cannot read properties of undefined (reading 'job_id')");
    return transport.send(request);
  },
});

// ---------------------------------------------------------------------------------------------
// Sides, requests and answers
// ---------------------------------------------------------------------------------------------

interface Side {
  name: 'on' | 'off';
  stack: Stack;
  logs: LogCapture;
}

/** Starts both sides (same env and options) before a describe block's tests and closes them after. */
function startSides(
  assign: (sides: [Side, Side]) => void,
  env: Record<string, string | undefined> = {},
  options?: Parameters<typeof startSide>[2],
): void {
  let started: [Side, Side] | undefined;
  beforeAll(async () => {
    started = await Promise.all([startSide('on', env, options), startSide('off', env, options)]);
    assign(started);
  });
  afterAll(async () => {
    await Promise.all((started ?? []).map((side) => side.stack.close()));
  });
}

async function startSide(
  name: 'on' | 'off',
  env: Record<string, string | undefined> = {},
  options: Pick<StackOptions, 'tracerProvider'> = {},
): Promise<Side> {
  const logs = createLogCapture();
  const stack = await startStack({
    env: { ...ENV, ...env, GRAPHQL_NODE_FRONT: name },
    logs,
    wrapTransport: buggyTransport,
    ...options,
  });
  return { name, stack, logs };
}

interface RequestSpec {
  /** The body as sent (a string is sent as UTF-8). */
  body: string | Uint8Array;
  /** Replaces the default headers (`content-type: application/json`). */
  headers?: Record<string, string>;
  method?: string;
  /** A query string for the URL (`?query=…`). */
  search?: string;
  /**
   * Send with node:http instead of fetch: then no header is added (fetch always adds an Accept),
   * `chunked` sends the body in chunks without a content-length; `splitAt` sends it (with its
   * content-length) in two writes, the second one a little later.
   */
  http?: { chunked?: boolean; splitAt?: number };
}

const DEFAULT_HEADERS = { 'content-type': 'application/json' };

/** A JSON request of a query text, with a per-case comment so the text is new to the gateway. */
function post(label: string, query: string, extra: Record<string, unknown> = {}): RequestSpec {
  return { body: JSON.stringify({ query: tagged(label, query), ...extra }) };
}

function tagged(label: string, query: string): string {
  return `# case: ${label}\n${query}`;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function send(endpoint: string, spec: RequestSpec, signal?: AbortSignal): Promise<RawAnswer> {
  const url = spec.search === undefined ? endpoint : `${endpoint}?${spec.search}`;
  const headers = spec.headers ?? DEFAULT_HEADERS;
  const method = spec.method ?? 'POST';
  if (spec.http) return sendWithNodeHttp(url, method, headers, spec.body, spec.http);
  const body =
    method === 'GET' || method === 'HEAD' ? null : typeof spec.body === 'string' ? spec.body : new Blob([Buffer.from(spec.body)]);
  const response = await fetch(url, { method, headers, body, signal: signal ?? null });
  return { status: response.status, headers: headerRecord(response.headers.entries()), text: await response.text() };
}

function sendWithNodeHttp(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
  { chunked = false, splitAt }: NonNullable<RequestSpec['http']>,
): Promise<RawAnswer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method, headers: chunked ? headers : { ...headers, 'content-length': String(bytes.length) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: headerRecord(
              Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
            ),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    if (chunked || splitAt !== undefined) {
      // Without a content-length, node:http sends `transfer-encoding: chunked`.
      const at = splitAt ?? Math.floor(bytes.length / 2);
      request.write(bytes.subarray(0, at));
      setTimeout(() => request.end(bytes.subarray(at)), 20);
    } else {
      request.end(bytes);
    }
  });
}

function headerRecord(entries: Iterable<[string, string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of entries) if (!IGNORED_HEADERS.has(name.toLowerCase())) record[name.toLowerCase()] = value;
  return record;
}

/** One request's answer and what it did on its stack, normalised for comparison with the other stack. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The body as received. */
  rawText: string;
  /** The same with this request's upstream request_ids and errorIds replaced by placeholders. */
  text: string;
  json: unknown;
  /** Whether Yoga logged its own lines for this request (it parsed it). */
  /** Which way in served it, by the gateway's counters. */
  front: 'direct' | 'adapter' | 'none';
  /** The request lines (`msg: "graphql request"`), normalised, `time` and `durationMs` left out. */
  requestLines: Record<string, unknown>[];
  /** Messages of every other line, Yoga's own left out, sorted. */
  otherMessages: string[];
  upstream: { endpoint: string; url: string; status: number }[];
  calls: SimCall[];
  errorIds: string[];
}

/** Sends one request to one side and collects everything observable about it. */
async function exchange(side: Side, spec: RequestSpec, before?: (side: Side) => void): Promise<Answer> {
  const { stack, logs } = side;
  before?.(side);
  logs.clear();
  const firstCall = stack.sim.calls.length;
  const counts = { ...stack.gateway.frontCounts };
  const raw = await send(`${stack.url}/graphql`, spec);
  const direct = stack.gateway.frontCounts.direct - counts.direct;
  const adapter = stack.gateway.frontCounts.adapter - counts.adapter;
  expect(direct + adapter).toBeLessThanOrEqual(1);
  const calls = stack.sim.calls.slice(firstCall);
  const lines = logs.lines();
  stack.sim.clearFaults();

  // A masked error's id: in the answer and on the request line (only there when no body was sent).
  const errorIds = [
    ...new Set([
      ...[...raw.text.matchAll(/"errorId":"([^"]*)"/g)].map((match) => match[1]!),
      ...lines.flatMap((line) => ((line.unexpectedErrors ?? []) as { errorId?: string }[]).map((error) => error.errorId ?? '')),
    ]),
  ];
  const requestIds = calls.map((call) => call.requestId);
  // Every UUID in the answer is a request_id of this request's own upstream calls, an errorId,
  // or part of the demo data (training file ids, the same on both stacks).
  for (const [uuid] of raw.text.matchAll(new RegExp(UUID, 'g')))
    expect([...requestIds, ...errorIds, ...fixtureUuids(raw.text)]).toContain(uuid);
  const normalise = (text: string): string => {
    let result = text;
    for (const requestId of requestIds) result = result.replaceAll(requestId, UPSTREAM_REQUEST_ID);
    for (const errorId of errorIds) result = result.replaceAll(errorId, ERROR_ID);
    return result;
  };
  const text = normalise(raw.text);

  const requestLines = lines
    .filter((line) => line.msg === 'graphql request')
    .map(({ time, durationMs, ...line }) => {
      expect(time).toEqual(expect.any(Number));
      expect(durationMs).toEqual(expect.any(Number));
      for (const requestId of line.upstreamRequestIds as string[]) expect(requestIds).toContain(requestId);
      return JSON.parse(normalise(JSON.stringify(line))) as Record<string, unknown>;
    });

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: raw.status,
    headers: raw.headers,
    rawText: raw.text,
    text,
    json,
    front: direct === 1 ? 'direct' : adapter === 1 ? 'adapter' : 'none',
    requestLines,
    otherMessages: lines
      .filter((line) => line.msg !== 'graphql request')
      .map((line) => String(line.msg))
      .sort(),
    upstream: calls.map((call) => ({ endpoint: call.endpoint, url: call.url, status: call.status })),
    calls,
    errorIds,
  };
}

/** UUIDs of the demo data (training file ids): part of the data, the same on both stacks. */
function fixtureUuids(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(/"(?:trainingFileIds|validationFileIds)":\[([^\]]*)\]/g))
    ids.push(...(match[1]!.match(new RegExp(UUID, 'g')) ?? []));
  return ids;
}

/** Everything a client or an operator can observe of two answers, compared. */
function expectSameAnswer(on: Answer, off: Answer): void {
  expect({ status: on.status, headers: on.headers }).toEqual({ status: off.status, headers: off.headers });
  expect(on.json).toEqual(off.json);
  expect(on.text).toBe(off.text);
  expect(Buffer.byteLength(on.rawText)).toBe(Buffer.byteLength(off.rawText));
  expect(on.upstream).toEqual(off.upstream);
  expect(on.requestLines).toEqual(off.requestLines);
  expect(on.otherMessages).toEqual(off.otherMessages);
}

/** The samples that count something (no timings, no process metrics), as `name{labels}` → value. */
function countingSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const sample of parsePrometheus(text)) {
    const { name } = sample;
    if (name.startsWith('process_') || name.startsWith('nodejs_') || name.endsWith('_bucket') || name.endsWith('_sum')) continue;
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(',');
    samples.set(`${name}{${labels}}`, sample.value);
  }
  return samples;
}

function metricsDelta(before: string, after: string): Record<string, number> {
  const start = countingSamples(before);
  const delta: Record<string, number> = {};
  for (const [key, value] of countingSamples(after)) {
    const change = value - (start.get(key) ?? 0);
    if (change !== 0) delta[key] = change;
  }
  return delta;
}

type Path = 'direct' | 'adapter';

interface CaseOptions {
  /** Sent once to each side first (e.g. to make the query text known), not compared. */
  teach?: RequestSpec;
  /** Runs before each request on each side (e.g. to inject an upstream fault). */
  before?: (side: Side) => void;
}

interface Pair {
  on: Answer;
  off: Answer;
}

/**
 * The differential step: the same requests, in the same order, to both sides; each answer of the
 * "on" side compared with the "off" side's at the same position, then the metrics moved by all of
 * them. Returns the pairs for the case's own checks.
 */
async function compareSides(on: Side, off: Side, specs: RequestSpec[], options: CaseOptions = {}): Promise<Pair[]> {
  if (options.teach) {
    for (const side of [on, off]) {
      const taught = await exchange(side, options.teach, options.before);
      expect(taught.status).toBe(200);
    }
  }
  const [onBefore, offBefore] = await Promise.all([on.stack.scrape(), off.stack.scrape()]);
  const pairs: Pair[] = [];
  for (const spec of specs) {
    const onAnswer = await exchange(on, spec, options.before);
    const offAnswer = await exchange(off, spec, options.before);
    expectSameAnswer(onAnswer, offAnswer);
    pairs.push({ on: onAnswer, off: offAnswer });
  }
  const [onAfter, offAfter] = await Promise.all([on.stack.scrape(), off.stack.scrape()]);
  expect(metricsDelta(onBefore, onAfter)).toEqual(metricsDelta(offBefore, offAfter));
  expect(sampleValue(onAfter, 'gateway_graphql_requests_in_flight')).toBe(0);
  expect(sampleValue(offAfter, 'gateway_graphql_requests_in_flight')).toBe(0);
  return pairs;
}

/** One request sent twice to each side (a new text, then a repeated one), both served the way `path` says. */
async function twice(on: Side, off: Side, spec: RequestSpec, path: Path, options: CaseOptions = {}): Promise<Pair[]> {
  const pairs = await compareSides(on, off, [spec, spec], options);
  expectPaths(pairs, [path, path]);
  return pairs;
}

/** Which way in served each pair's "on" request (see the top comment); the "off" side always uses the adapter. */
function expectPaths(pairs: Pair[], paths: Path[]): void {
  expect(pairs.length).toBe(paths.length);
  for (const [index, { on, off }] of pairs.entries()) {
    expect({ index, on: on.front, off: off.front }).toEqual({ index, on: paths[index], off: 'adapter' });
  }
}

function bodyOf(answer: Answer): { data?: any; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] } {
  expect(answer.json).toBeTypeOf('object');
  return answer.json as never;
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

const JOB_BY_ID = print(JobByIdDocument);
const JOBS_PAGE = print(JobsPageDocument);
const JOBS_WITH_DETAILS = print(JobsWithDetailsDocument);
const SMALL_JOB = `query SmallJob($id: ID!) { fineTune(id: $id) { __typename ... on FineTuneJob { id status } ... on Error { message code requestId } } }`;

describe('the Node front answers exactly as whatwg-node’s adapter does', () => {
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started));

  describe('success results', () => {
    it('one job (JobById, the whole job with every field)', async () => {
      const [, routed] = await twice(on, off, post('job', JOB_BY_ID, { variables: { id: JOB_ID } }), 'direct');
      expect(bodyOf(routed!.on).data.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: JOB_ID });
    });

    it('a page of jobs (JobsPage, with variables)', async () => {
      const [, routed] = await twice(on, off, post('page', JOBS_PAGE, { variables: { page: { number: 2, size: 5 } } }), 'direct');
      expect(bodyOf(routed!.on).data.fineTunes.nodes).toHaveLength(5);
      // Lists are never cached: the front's request called the upstream, like Yoga's.
      expect(routed!.on.upstream.map((call) => call.endpoint)).toEqual(['listJobs']);
    });

    it('a page with a job by id in the same operation (JobsWithDetails)', async () => {
      const [, routed] = await twice(on, off, post('details', JOBS_WITH_DETAILS, { variables: { page: { size: 3 } } }), 'direct');
      expect(bodyOf(routed!.on).data.first).toEqual({ __typename: 'FineTuneJob', id: JOB_ID, status: expect.any(String) });
    });

    it('an anonymous query with literal arguments, aliases and __typename', async () => {
      const query = `{ __typename a: fineTune(id: "${JOB_ID}") { __typename ... on FineTuneJob { id hyperParameters { raw } } } b: fineTunes(model: "qwen3-14b", page: { size: 2 }) { ... on JobConnection { totalCount edges { cursor } } } }`;
      const [, routed] = await twice(on, off, post('anonymous', query), 'direct');
      expect(bodyOf(routed!.on).data.__typename).toBe('Query');
    });

    it('introspection, __type and the federation _service field', async () => {
      const query = `query Meta { __schema { queryType { name } types { name kind } } __type(name: "FineTuneJob") { fields { name type { name kind ofType { name } } } } _service { sdl } }`;
      const [, routed] = await twice(on, off, post('meta', query), 'direct');
      expect(bodyOf(routed!.on).data.__schema.queryType).toEqual({ name: 'Query' });
    });

    it('@include / @skip driven by variables, fragments on the union', async () => {
      const query = `query Directives($id: ID!, $withJob: Boolean!, $skipErrors: Boolean = false) {
        fineTune(id: $id) { __typename ...Job @include(if: $withJob) ... on Error @skip(if: $skipErrors) { code } }
      }
      fragment Job on FineTuneJob { id model hyperParameters { nEpochs learningRate } }`;
      const pairs = await compareSides(on, off, [
        post('directives', query, { variables: { id: JOB_ID, withJob: true } }),
        post('directives', query, { variables: { id: JOB_ID, withJob: false } }),
        post('directives', query, { variables: { id: MISSING_ID, withJob: true, skipErrors: true } }),
        post('directives', query, { variables: { id: MISSING_ID, withJob: true } }),
      ]);
      expectPaths(pairs, ['direct', 'direct', 'direct', 'direct']);
      expect(pairs.map((pair) => Object.keys(bodyOf(pair.on).data.fineTune))).toEqual([
        ['__typename', 'id', 'model', 'hyperParameters'],
        ['__typename'],
        ['__typename'],
        ['__typename', 'code'],
      ]);
    });

    it('_entities (a federation router’s call) stays on Yoga: it is never compiled', async () => {
      const query = `query Entities($r: [_Any!]!) { _entities(representations: $r) { ... on FineTuneJob { id status } } }`;
      const spec = post('entities', query, {
        variables: {
          r: [
            { __typename: 'FineTuneJob', id: JOB_ID },
            { __typename: 'FineTuneJob', id: MISSING_ID },
          ],
        },
      });
      const [, second] = await twice(on, off, spec, 'direct');
      expect(bodyOf(second!.on).data._entities[0]).toEqual({ id: JOB_ID, status: expect.any(String) });
    });

    it('variables: a known text with other variable values is still the front’s (and the answer is for those values)', async () => {
      const ids = on.stack.sim
        .jobs()
        .slice(6, 9)
        .map((job) => job.job_id);
      const pairs = await compareSides(
        on,
        off,
        ids.map((id) => post('other-values', SMALL_JOB, { variables: { id } })),
      );
      expectPaths(pairs, ['direct', 'direct', 'direct']);
      expect(pairs.map((pair) => bodyOf(pair.on).data.fineTune.id)).toEqual(ids);
    });

    it('variables: unknown extra variables are ignored by both', async () => {
      await twice(on, off, post('extra-variables', SMALL_JOB, { variables: { id: JOB_ID, nope: 1, page: { size: 1 } } }), 'direct');
    });

    it('variables: an Int given for an ID, explicit nulls for operationName and extensions', async () => {
      await twice(on, off, post('coerced', SMALL_JOB, { variables: { id: 12345 }, operationName: null, extensions: null }), 'direct');
    });

    it('non-ASCII in a variable and in the text', async () => {
      await twice(on, off, post('unicode é ✓', SMALL_JOB, { variables: { id: 'ft-é✓-😀' } }), 'direct');
    });
  });

  describe('typed errors (unions) and upstream faults', () => {
    it('unknown job id: NotFoundError with each request’s own upstream request_id', async () => {
      const [first, routed] = await twice(on, off, post('not-found', JOB_BY_ID, { variables: { id: MISSING_ID } }), 'direct');
      for (const { on: onAnswer, off: offAnswer } of [first!, routed!]) {
        for (const answer of [onAnswer, offAnswer]) {
          const result = bodyOf(answer).data.fineTune;
          expect(result.__typename).toBe('NotFoundError');
          // In the body as received: the request_id of this request's own (only) upstream call.
          expect(answer.calls).toHaveLength(1);
          expect(JSON.parse(answer.rawText).data.fineTune.requestId).toBe(answer.calls[0]!.requestId);
        }
        expect(onAnswer.requestLines[0]).toMatchObject({ errorTypes: ['NotFoundError'], upstreamRequestIds: [UPSTREAM_REQUEST_ID] });
      }
    });

    it('upstream 500: UpstreamError with the upstream request_id', async () => {
      const [, routed] = await twice(
        on,
        off,
        post('fault-500', SMALL_JOB.replace('requestId', 'requestId ... on UpstreamError { httpStatus }'), {
          variables: { id: MISSING_ID },
        }),
        'direct',
        {
          before: (side) =>
            side.stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'status', status: 500, code: 'InternalError' } }),
        },
      );
      expect(bodyOf(routed!.on).data.fineTune).toMatchObject({ __typename: 'UpstreamError', code: 'InternalError', httpStatus: 500 });
    });

    it('upstream 429 with Retry-After: ThrottlingError', async () => {
      const [, routed] = await twice(on, off, post('fault-429', JOB_BY_ID, { variables: { id: MISSING_ID } }), 'direct', {
        before: (side) =>
          side.stack.sim.inject({
            endpoint: 'getJob',
            times: 1,
            action: { kind: 'status', status: 429, code: 'Throttling', retryAfter: '7' },
          }),
      });
      expect(bodyOf(routed!.on).data.fineTune).toMatchObject({ __typename: 'ThrottlingError', retryAfter: 7 });
    });

    it('a connection reset: UpstreamError without a request_id', async () => {
      const [, routed] = await twice(on, off, post('fault-reset', JOB_BY_ID, { variables: { id: MISSING_ID } }), 'direct', {
        before: (side) => side.stack.sim.inject({ endpoint: 'getJob', times: 1, action: { kind: 'reset' } }),
      });
      expect(bodyOf(routed!.on).data.fineTune).toMatchObject({ __typename: 'UpstreamError', requestId: null });
    });

    it('bad input answered by the gateway: InvalidParameterError, no upstream call', async () => {
      const [, routed] = await twice(on, off, post('invalid-page', JOBS_PAGE, { variables: { page: { size: 500 } } }), 'direct');
      expect(bodyOf(routed!.on).data.fineTunes).toMatchObject({ __typename: 'InvalidParameterError', argument: 'page.size' });
      expect(routed!.on.upstream).toEqual([]);
    });
  });

  describe('variables that do not coerce: Yoga’s 400, never the front', () => {
    const STRICT = `query Strict($id: ID!, $page: PageInput) {
      fineTune(id: $id) { __typename ... on Error { code } }
      fineTunes(page: $page) { __typename ... on JobConnection { pageSize } }
    }`;
    const teach = post('bad-variables', STRICT, { variables: { id: JOB_ID, page: { size: 1 } } });
    const withVariables = (variables: unknown) => post('bad-variables', STRICT, variables === undefined ? {} : { variables });

    it.each([
      ['a wrong type (object for ID!)', withVariables({ id: { a: 1 } })],
      ['a wrong type (boolean for ID!)', withVariables({ id: true })],
      ['a wrong type inside an input (string for Int)', withVariables({ id: 'x', page: { size: 'big' } })],
      ['an unknown field of an input', withVariables({ id: 'x', page: { size: 1, nope: 2 } })],
      ['a missing required variable', withVariables({ page: { size: 1 } })],
      ['null for a required variable', withVariables({ id: null })],
      ['no variables at all', withVariables(undefined)],
      ['variables: null', withVariables(null)],
    ])('%s', async (_name, spec) => {
      const pairs = await twice(on, off, spec, 'direct', { teach });
      for (const { on: answer } of pairs) {
        expect(answer.status).toBe(400);
        expect(bodyOf(answer).errors?.length).toBeGreaterThan(0);
        expect(answer.upstream).toEqual([]);
      }
    });
  });

  describe('operationName', () => {
    const TWO_OPERATIONS = `
      query A { fineTunes(page: { size: 2 }) { __typename ... on JobConnection { nodes { id } } } }
      query B { fineTune(id: "${JOB_ID}") { __typename ... on FineTuneJob { id status } } }`;

    it('A, B, A, B on one text: each answer is that operation’s (compiled per operation, not per document)', async () => {
      const a = post('two-operations', TWO_OPERATIONS, { operationName: 'A' });
      const b = post('two-operations', TWO_OPERATIONS, { operationName: 'B' });
      const pairs = await compareSides(on, off, [a, b, a, b]);
      // B never ran through Yoga on the "on" side: the front found it in the document A taught.
      expectPaths(pairs, ['direct', 'direct', 'direct', 'direct']);
      for (const [index, pair] of pairs.entries()) {
        const data = bodyOf(pair.on).data;
        expect(Object.keys(data)).toEqual([index % 2 === 0 ? 'fineTunes' : 'fineTune']);
        expect(pair.on.requestLines[0]).toMatchObject({ operationName: index % 2 === 0 ? 'A' : 'B', operationType: 'query' });
      }
    });

    it.each([
      ['an operationName that is not in the document', { operationName: 'C' }],
      ['no operationName with two operations', {}],
      ['operationName: null with two operations', { operationName: null }],
      ['an empty operationName', { operationName: '' }],
      ['an operationName that is not a string', { operationName: 5 }],
    ])('%s: Yoga’s error on both', async (_name, extra) => {
      const pairs = await twice(on, off, post('two-operations-errors', TWO_OPERATIONS, extra), 'direct', {
        teach: post('two-operations-errors', TWO_OPERATIONS, { operationName: 'A' }),
      });
      expect(pairs[1]!.on.status).toBeGreaterThanOrEqual(400);
      expect(bodyOf(pairs[1]!.on).errors?.length).toBeGreaterThan(0);
    });

    it('a subscription of a known document stays on Yoga', async () => {
      const withSubscription = `query Q { fineTune(id: "${JOB_ID}") { __typename } }
        subscription S { fineTuneStatus(id: "${JOB_ID}") { __typename } }`;
      await twice(
        on,
        off,
        { ...post('subscription', withSubscription, { operationName: 'S' }), headers: { ...DEFAULT_HEADERS, accept: 'application/json' } },
        'direct',
        {
          teach: post('subscription', withSubscription, { operationName: 'Q' }),
        },
      );
    });

    it('an operationName naming the only operation, and a wrong name for an anonymous one', async () => {
      await twice(on, off, post('named-only', SMALL_JOB, { operationName: 'SmallJob', variables: { id: JOB_ID } }), 'direct');
      await twice(on, off, post('anonymous-named', `{ fineTune(id: "${JOB_ID}") { __typename } }`, { operationName: 'Nope' }), 'direct', {
        teach: post('anonymous-named', `{ fineTune(id: "${JOB_ID}") { __typename } }`),
      });
    });
  });

  describe('Accept headers: the same media type and status as Yoga', () => {
    const ACCEPTS: [string, string | undefined, Path][] = [
      ['absent', undefined, 'direct'],
      ['*/*', '*/*', 'direct'],
      ['application/json', 'application/json', 'direct'],
      ['application/graphql-response+json', 'application/graphql-response+json', 'direct'],
      ['with quality values', 'application/graphql-response+json, application/json;q=0.9', 'direct'],
      ['json preferred by quality but listed second', 'application/graphql-response+json;q=0.1, application/json', 'direct'],
      [
        'urql’s default',
        'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
        'direct',
      ],
      ['text/event-stream only', 'text/event-stream', 'direct'],
      ['multipart/mixed only', 'multipart/mixed', 'direct'],
      ['application/json in ISO-8859-1', 'application/json; charset=iso-8859-1', 'direct'],
      ['application/json in utf-8', 'application/json; charset=utf-8', 'direct'],
      ['application/*', 'application/*', 'direct'],
      ['text/html only', 'text/html', 'direct'],
      ['upper case', 'Application/JSON', 'direct'],
      ['empty', '', 'direct'],
      ['event stream listed first, then JSON', 'text/event-stream, application/json', 'direct'],
      ['only unusable charsets and types', 'application/json;charset=latin1, text/plain', 'direct'],
    ];

    for (const [query, label] of [
      [SMALL_JOB, 'a result with data'],
      [`query Buggy($id: ID!) { fineTune(id: $id) { __typename } }`, 'a masked error with data null'],
    ] as const) {
      describe(label, () => {
        it.each(ACCEPTS)('Accept: %s', async (name, accept, path) => {
          const id = query === SMALL_JOB ? JOB_ID : BUG_ID;
          const spec: RequestSpec = {
            ...post(`accept ${label} ${name}`, query, { variables: { id } }),
            headers: accept === undefined ? DEFAULT_HEADERS : { ...DEFAULT_HEADERS, accept },
            // fetch adds `accept: */*` when there is none.
            ...(accept === undefined ? { http: {} } : {}),
          };
          const teach = { ...spec, headers: DEFAULT_HEADERS };
          // Taught with a plain request first, so the path depends on the Accept header alone.
          await twice(on, off, spec, path, { teach });
        });
      });
    }
  });

  // Each body carries (or is about) a text the front knows: what sends a request to Yoga is the
  // oddity alone. `route` marks the few the front may take because Yoga reads them the same way.
  describe('odd bodies and content types: left to Yoga (or safely taken), answered identically', () => {
    const known = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({ query: tagged('odd-bodies', SMALL_JOB), variables: { id: JOB_ID }, ...extra });
    const teach: RequestSpec = { body: known() };

    const CASES: [string, RequestSpec, Path][] = [
      ['invalid JSON', { body: known().slice(0, -3) }, 'direct'],
      ['a JSON array (a batch)', { body: `[${known()}]` }, 'direct'],
      ['a JSON string', { body: JSON.stringify(known()) }, 'direct'],
      ['JSON null', { body: 'null' }, 'direct'],
      ['an unknown extra parameter', { body: known({ foo: 1 }) }, 'direct'],
      ['query not a string', { body: JSON.stringify({ query: 5 }) }, 'direct'],
      ['no query', { body: JSON.stringify({ variables: { id: JOB_ID } }) }, 'direct'],
      ['variables as an array', { body: known({ variables: [JOB_ID] }) }, 'direct'],
      ['variables as a string', { body: known({ variables: JSON.stringify({ id: JOB_ID }) }) }, 'direct'],
      ['extensions as an array', { body: known({ extensions: [] }) }, 'direct'],
      ['a duplicate key (the last one wins)', { body: known().replace('{', `{"query":"{ __typename }",`) }, 'direct'],
      ['a __proto__ key', { body: known().replace('{', '{"__proto__":{"x":1},') }, 'direct'],
      // No manifest here: Yoga ignores the extension (no persisted-operations plugin), and so may the front.
      [
        'extensions with persistedQuery (no manifest configured)',
        { body: known({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }) },
        'direct',
      ],
      ['other extensions', { body: known({ extensions: { tracing: true } }) }, 'direct'],
      [
        'content-type application/json; charset=utf-8',
        { body: known(), headers: { 'content-type': 'application/json; charset=utf-8' } },
        'direct',
      ],
      [
        'content-type application/json;charset=UTF-8',
        { body: known(), headers: { 'content-type': 'application/json;charset=UTF-8' } },
        'direct',
      ],
      [
        'content-type application/json; charset=iso-8859-1',
        { body: known(), headers: { 'content-type': 'application/json; charset=iso-8859-1' } },
        'direct',
      ],
      ['content-type Application/JSON', { body: known(), headers: { 'content-type': 'Application/JSON' } }, 'adapter'],
      [
        'content-type application/graphql-response+json',
        { body: known(), headers: { 'content-type': 'application/graphql-response+json' } },
        'adapter',
      ],
      ['content-type text/plain (CSRF refusal)', { body: known(), headers: { 'content-type': 'text/plain' } }, 'adapter'],
      [
        'content-type application/x-www-form-urlencoded',
        {
          body: `query=${encodeURIComponent(tagged('odd-bodies', SMALL_JOB))}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        'adapter',
      ],
      ['no content-type', { body: known(), headers: {}, http: {} }, 'adapter'],
      ['an empty body', { body: '' }, 'adapter'],
      ['a body over GRAPHQL_MAX_BODY_BYTES', { body: known({ variables: { id: JOB_ID, pad: 'x'.repeat(MAX_BODY_BYTES) } }) }, 'adapter'],
      ['a body of exactly GRAPHQL_MAX_BODY_BYTES', { body: padTo(known(), MAX_BODY_BYTES) }, 'direct'],
      ['a body one byte over GRAPHQL_MAX_BODY_BYTES', { body: padTo(known(), MAX_BODY_BYTES + 1) }, 'adapter'],
      ['a chunked body (no content-length)', { body: known(), headers: DEFAULT_HEADERS, http: { chunked: true } }, 'adapter'],
      [
        'a chunked body over the limit',
        { body: padTo(known(), MAX_BODY_BYTES + 10), headers: DEFAULT_HEADERS, http: { chunked: true } },
        'adapter',
      ],
      [
        'a body in two packets, split inside a multi-byte character',
        {
          body: known({ variables: { id: 'ft-😀-split' } }),
          http: { splitAt: Buffer.from(known({ variables: { id: 'ft-😀-split' } })).indexOf('😀') + 2 },
          headers: DEFAULT_HEADERS,
        },
        'direct',
      ],
      ['a gzip-encoded body', { body: gzipSync(known()), headers: { ...DEFAULT_HEADERS, 'content-encoding': 'gzip' } }, 'adapter'],
      ['a body starting with a UTF-8 byte order mark', { body: `\uFEFF${known()}` }, 'direct'],
      ['invalid UTF-8 in a variable', { body: withBytes(known({ variables: { id: 'ft-@@' } }), '@@', [0xff, 0xfe, 0xc3]) }, 'direct'],
      [
        'a GET with the query in the URL',
        {
          body: '',
          method: 'GET',
          search: new URLSearchParams({ query: tagged('odd-bodies', SMALL_JOB), variables: JSON.stringify({ id: JOB_ID }) }).toString(),
        },
        'direct',
      ],
    ];

    it.each(CASES)('%s', async (_name, spec, path) => {
      const pairs = await twice(on, off, spec, path, { teach });
      expect(pairs[1]!.on.requestLines.length).toBeLessThanOrEqual(1);
    });
  });

  describe('a bug (an unexpected error) in a resolver: masked alike', () => {
    it('data null: "Unexpected error." with an errorId of its own per request, on the request line', async () => {
      const pairs = await twice(
        on,
        off,
        post('bug', `query Buggy($id: ID!) { fineTune(id: $id) { __typename } }`, { variables: { id: BUG_ID } }),
        'direct',
      );
      const all = pairs.flatMap((pair) => [pair.on, pair.off]);
      for (const answer of all) {
        const body = bodyOf(answer);
        expect(body.data).toBeNull();
        expect(body.errors!.map((error) => error.message)).toEqual(['Unexpected error.']);
        expect(answer.rawText).not.toContain('job_id');
        expect(answer.errorIds).toHaveLength(1);
        expect(answer.errorIds[0]).toMatch(UUID);
        // The id the client got is the one on the error line of that request.
        expect(answer.requestLines[0]).toMatchObject({
          level: 50,
          unexpectedErrors: [{ errorId: ERROR_ID, path: 'fineTune', type: 'TypeError' }],
        });
      }
      expect(new Set(all.map((answer) => answer.errorIds[0])).size).toBe(all.length);
    });

    it('a good field next to a bug (both non-null: the error reaches data)', async () => {
      const query = `query HalfBuggy { good: fineTune(id: "${JOB_ID}") { __typename } bad: fineTune(id: "${BUG_ID}") { __typename } }`;
      const [, routed] = await twice(on, off, post('half-bug', query), 'direct');
      expect(bodyOf(routed!.on).data).toBeNull();
      expect(bodyOf(routed!.on).errors!.map((error) => [error.message, error.path])).toEqual([['Unexpected error.', ['bad']]]);
    });
  });

  describe('telemetry: the same metrics and log line as on Yoga', () => {
    it('a front-served request moves the operation metrics and logs its line exactly like an adapter-served one', async () => {
      const query = `query Telemetry($id: ID!) { fineTune(id: $id) { __typename ... on Error { code } } }`;
      const spec = post('telemetry', query, { variables: { id: MISSING_ID } });
      // Taught first, so the measured request is the front's.
      await twice(on, off, spec, 'direct');

      const [onBefore, offBefore] = await Promise.all([on.stack.scrape(), off.stack.scrape()]);
      const routed = await exchange(on, spec);
      const yoga = await exchange(off, spec);
      const [onAfter, offAfter] = await Promise.all([on.stack.scrape(), off.stack.scrape()]);
      expect([routed.front, yoga.front]).toEqual(['direct', 'adapter']);
      expectSameAnswer(routed, yoga);

      const labels = { operationName: 'Telemetry', operationType: 'query' };
      const deltas = (before: string, after: string) => ({
        requests: sampleValue(after, 'graphql_envelop_request', labels) - sampleValue(before, 'graphql_envelop_request', labels),
        duration:
          sampleValue(after, 'graphql_envelop_request_duration_count', labels) -
          sampleValue(before, 'graphql_envelop_request_duration_count', labels),
        execute:
          sampleValue(after, 'graphql_envelop_phase_execute_count', labels) -
          sampleValue(before, 'graphql_envelop_phase_execute_count', labels),
        http:
          sampleValue(after, 'graphql_yoga_http_duration_count', { ...labels, method: 'POST', statusCode: '200' }) -
          sampleValue(before, 'graphql_yoga_http_duration_count', { ...labels, method: 'POST', statusCode: '200' }),
        notFound:
          sampleValue(after, 'gateway_graphql_errors_total', { kind: 'union', type: 'NotFoundError' }) -
          sampleValue(before, 'gateway_graphql_errors_total', { kind: 'union', type: 'NotFoundError' }),
        upstream:
          sampleValue(after, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: '404' }) -
          sampleValue(before, 'gateway_upstream_requests_total', { endpoint: 'getJob', status: '404' }),
        inFlight: sampleValue(after, 'gateway_graphql_requests_in_flight'),
      });
      const onDeltas = deltas(onBefore, onAfter);
      expect(onDeltas).toEqual(deltas(offBefore, offAfter));
      // Not vacuous: each moved by one.
      expect(onDeltas).toEqual({ requests: 1, duration: 1, execute: 1, http: 1, notFound: 1, upstream: 1, inFlight: 0 });
      expect(metricsDelta(onBefore, onAfter)).toEqual(metricsDelta(offBefore, offAfter));

      // One line for the request, with the same fields.
      expect(routed.requestLines).toHaveLength(1);
      expect(routed.requestLines[0]).toEqual({
        level: 30,
        service: 'fine-tunes-gateway',
        msg: 'graphql request',
        operationName: 'Telemetry',
        operationType: 'query',
        method: 'POST',
        httpStatus: 200,
        upstreamCalls: 1,
        upstreamRequestIds: [UPSTREAM_REQUEST_ID],
        errorTypes: ['NotFoundError'],
      });
      expect(routed.requestLines).toEqual(yoga.requestLines);
    });
  });

  describe('a client that goes away mid-request', () => {
    it('on the front: the gateway survives, the upstream call is aborted, in-flight returns to 0, logged like Yoga', async () => {
      const spec = post('disconnect', JOBS_PAGE, { variables: { page: { size: 2 } } });
      await twice(on, off, spec, 'direct');

      const seen: Record<string, unknown>[] = [];
      for (const side of [on, off]) {
        const before = await side.stack.scrape();
        side.stack.sim.setLatency(400);
        side.logs.clear();
        const firstCall = side.stack.sim.calls.length;
        const controller = new AbortController();
        const pending = send(`${side.stack.url}/graphql`, spec, controller.signal);
        // Aborted while the upstream call is under way.
        await waitFor(() => side.stack.sim.calls.length > firstCall);
        expect(sampleValue(await side.stack.scrape(), 'gateway_graphql_requests_in_flight')).toBe(1);
        controller.abort();
        await expect(pending).rejects.toThrow();
        await waitFor(async () => sampleValue(await side.stack.scrape(), 'gateway_graphql_requests_in_flight') === 0);
        side.stack.sim.setLatency(0);
        // One upstream call, and no other (no retry of an aborted call).
        await waitFor(() => side.stack.sim.inFlight() === 0);
        expect(side.stack.sim.calls.length).toBe(firstCall + 1);
        await waitFor(() => side.logs.requestLines().length > 0);
        seen.push({
          requestLines: side.logs.requestLines().map(({ time: _time, durationMs: _duration, upstreamRequestIds, ...line }) => ({
            ...line,
            upstreamRequestIds: (upstreamRequestIds as string[]).map(() => UPSTREAM_REQUEST_ID),
          })),
          metrics: metricsDelta(before, await side.stack.scrape()),
        });
      }
      expect(seen[0]).toEqual(seen[1]);
      expect(seen[0]!.requestLines).toHaveLength(1);

      // Still serving, on both paths.
      expectPaths(await compareSides(on, off, [spec]), ['direct']);
    });
  });
});

describe('a client that goes away while sending its body', () => {
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started));

  it('is counted in flight while it uploads, then logged and measured as Yoga does', async () => {
    const body = JSON.stringify({ query: tagged('gone-mid-body', SMALL_JOB), variables: { id: JOB_ID } });
    // Known text, so whatever the front does with it, it is not for want of knowing it.
    for (const side of [on, off]) await exchange(side, { body });

    const seen: Record<string, unknown>[] = [];
    for (const side of [on, off]) {
      const before = await side.stack.scrape();
      side.logs.clear();
      // The headers announce the whole body; a third of it arrives, then the connection closes.
      const request = httpRequest(`${side.stack.url}/graphql`, {
        method: 'POST',
        headers: { ...DEFAULT_HEADERS, 'content-length': String(Buffer.byteLength(body)) },
      });
      const failed = new Promise((resolve) => request.on('error', resolve));
      request.write(body.slice(0, Math.floor(body.length / 3)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const inFlightWhileUploading = sampleValue(await side.stack.scrape(), 'gateway_graphql_requests_in_flight');
      request.destroy();
      await failed;
      // Yoga logs the request once it notices; give the front as long before comparing.
      await waitFor(() => side.logs.requestLines().length > 0, 1_000).catch(() => undefined);
      const after = await side.stack.scrape();
      seen.push({
        inFlightWhileUploading,
        inFlightAfter: sampleValue(after, 'gateway_graphql_requests_in_flight'),
        requestLines: side.logs.requestLines().map(({ time: _time, durationMs: _duration, ...line }) => line),
        metrics: metricsDelta(before, after),
      });
    }
    expect(seen[0]).toEqual(seen[1]);
  });
});

describe('NODE_ENV=development: the cause of a bug shown alike', () => {
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started), { NODE_ENV: 'development' });

  it('the same originalError (message and stack) in the answer', async () => {
    const [, routed] = await twice(on, off, post('dev-bug', `query DevBug { fineTune(id: "${BUG_ID}") { __typename } }`), 'direct');
    const error = bodyOf(routed!.on).errors![0]!;
    expect(error.extensions).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      originalError: { message: expect.stringContaining('job_id'), stack: expect.stringContaining('TypeError') },
    });
  });
});

describe('CORS: with no origins configured, an Origin header changes nothing', () => {
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started));

  it('a cross-origin request: the front answers, without CORS headers, as Yoga', async () => {
    const [, routed] = await twice(
      on,
      off,
      {
        ...post('origin-no-cors', SMALL_JOB, { variables: { id: JOB_ID } }),
        headers: { ...DEFAULT_HEADERS, origin: 'https://app.example.com' },
      },
      'direct',
    );
    expect(Object.keys(routed!.on.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('CORS: with origins configured, the same CORS headers as Yoga', () => {
  const ORIGIN = 'https://app.example.com';
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started), { CORS_ORIGINS: ORIGIN });

  const spec = (label: string, origin?: string): RequestSpec => ({
    ...post(`cors ${label}`, SMALL_JOB, { variables: { id: JOB_ID } }),
    headers: { ...DEFAULT_HEADERS, ...(origin ? { origin } : {}) },
  });

  it('an allowed Origin: Yoga answers, with its CORS headers', async () => {
    const pairs = await twice(on, off, spec('allowed', ORIGIN), 'direct', { teach: spec('allowed') });
    expect(pairs[1]!.on.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('an Origin not allowed: Yoga answers', async () => {
    await twice(on, off, spec('other', 'https://evil.example.net'), 'direct', { teach: spec('other') });
  });

  it('no Origin (same-origin or server-to-server): the front may answer, with the same headers', async () => {
    await twice(on, off, spec('none'), 'direct');
  });

  it('a preflight', async () => {
    await twice(
      on,
      off,
      {
        body: '',
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      },
      'adapter',
    );
  });
});

/** The text as UTF-8 with `marker` replaced by raw bytes (e.g. not valid UTF-8). */
function withBytes(text: string, marker: string, bytes: number[]): Buffer {
  const [head, tail] = text.split(marker) as [string, string];
  return Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
}

function padTo(json: string, bytes: number): string {
  const missing = bytes - Buffer.byteLength(json);
  if (missing < 0) throw new Error(`body already ${Buffer.byteLength(json)} bytes`);
  return json + ' '.repeat(missing);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('forwarding mode (DASHSCOPE_FORWARD_AUTH): the caller’s credential, on both paths', () => {
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started), { DASHSCOPE_FORWARD_AUTH: 'true', DASHSCOPE_API_KEY: undefined });

  it.each([
    ['the right key', `Bearer ${DEMO_API_KEY}`, 'FineTuneJob'],
    ['a wrong key', 'Bearer sk-wrong-0123456789', 'AuthenticationError'],
    ['no Authorization', undefined, 'AuthenticationError'],
    ['another scheme', `Basic ${DEMO_API_KEY}`, 'AuthenticationError'],
  ])('%s', async (name, authorization, typename) => {
    // A job still running: never cached, so every request calls the upstream with the caller's key.
    const running = on.stack.sim.jobs().find((job) => job.status === 'RUNNING')!.job_id;
    const spec = post(`forwarding ${name}`, SMALL_JOB, { variables: { id: running } });
    const withAuthorization = { ...spec, headers: { ...DEFAULT_HEADERS, ...(authorization ? { authorization } : {}) } };
    const [first, routed] = await twice(on, off, withAuthorization, 'direct');
    expect(bodyOf(routed!.on).data.fineTune.__typename).toBe(typename);
    // The key the upstream received is the caller's own, on the front too; a wrong key's 401 is
    // remembered (DASHSCOPE_REJECTED_KEY_TTL_MS), so its repeat costs no upstream call.
    if (authorization?.startsWith('Bearer ')) {
      const key = authorization.slice('Bearer '.length);
      expect(first!.on.calls.map((call) => call.apiKey)).toEqual([key]);
      expect(routed!.on.calls.map((call) => call.apiKey)).toEqual(typename === 'AuthenticationError' ? [] : [key]);
    }
    expect(routed!.on.rawText).not.toContain(DEMO_API_KEY);
  });

  it('one caller’s finished job is not served to another caller from the front', async () => {
    const spec = (authorization: string) => ({
      ...post('forwarding-isolation', SMALL_JOB, { variables: { id: JOB_ID } }),
      headers: { ...DEFAULT_HEADERS, authorization },
    });
    const pairs = await compareSides(on, off, [
      spec(`Bearer ${DEMO_API_KEY}`),
      spec(`Bearer ${DEMO_API_KEY}`),
      spec('Bearer sk-other-0123456789'),
    ]);
    expectPaths(pairs, ['direct', 'direct', 'direct']);
    expect(pairs.map((pair) => bodyOf(pair.on).data.fineTune.__typename)).toEqual(['FineTuneJob', 'FineTuneJob', 'AuthenticationError']);
  });
});

describe('a persisted-operations manifest (trusted documents optional)', () => {
  const MANIFEST = 'examples/generated/persisted-documents.json';
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  const [documentId, documentText] = Object.entries(manifest).find(([, text]) => text.includes('query JobDetails('))!;
  const hash = documentId.replace(/^sha256:/, '');
  const byId: RequestSpec = { body: JSON.stringify({ documentId, variables: { id: JOB_ID } }) };
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started), { PERSISTED_OPERATIONS_MANIFEST: MANIFEST });

  it('a document id: Yoga the first time, then the front (the manifest gives it the text)', async () => {
    const [first, second] = await twice(on, off, byId, 'direct');
    expect(bodyOf(first!.on).data.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: JOB_ID });
    expect(bodyOf(second!.on).data.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: JOB_ID });
  });

  it('the APQ shape, without and with the text: the front once the document ran', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    await twice(on, off, { body: JSON.stringify({ extensions, variables: { id: JOB_ID } }) }, 'direct', { teach: byId });
    await twice(on, off, { body: JSON.stringify({ query: documentText, extensions, variables: { id: JOB_ID } }) }, 'direct', {
      teach: { body: JSON.stringify({ query: documentText, variables: { id: JOB_ID } }) },
    });
  });

  it('an id the manifest lacks, or a malformed one: Yoga', async () => {
    const variables = { id: JOB_ID };
    const pairs = await compareSides(on, off, [
      { body: JSON.stringify({ documentId: `sha256:${'0'.repeat(64)}`, variables }) },
      { body: JSON.stringify({ documentId: 42, variables }) },
      { body: JSON.stringify({ extensions: { persistedQuery: { version: 2, sha256Hash: hash } }, variables }) },
    ]);
    expectPaths(pairs, ['direct', 'direct', 'direct']);
    expect(pairs.map((pair) => pair.off.status)).toEqual([400, 400, 400]);
  });

  it('a document sent as text: the front, like anywhere else', async () => {
    await twice(on, off, { body: JSON.stringify({ query: tagged('manifest-text', documentText), variables: { id: JOB_ID } }) }, 'direct');
  });

  // Yoga's persisted-operations plugin, given a parsed document, runs it under the text
  // `__PERSISTED_OPERATION_<hash>__`; a client sending that text first would cache a syntax error
  // there for every later request by id. The gateway hands the plugin texts instead, so the
  // placeholder is just a syntax error, and ids keep working.
  const placeholderOf = (id: string, variables: Record<string, unknown>): RequestSpec => ({
    body: JSON.stringify({ query: `__PERSISTED_OPERATION_${id.replace(/^sha256:/, '')}__`, variables }),
  });

  it('the placeholder text of a document not yet run by id: a syntax error, and the id still works', async () => {
    const [listId] = Object.entries(manifest).find(([, text]) => text.includes('query JobList('))!;
    const variables = { page: { size: 2 } };
    const pairs = await compareSides(on, off, [
      placeholderOf(listId, variables),
      placeholderOf(listId, variables),
      { body: JSON.stringify({ documentId: listId, variables }) },
    ]);
    expectPaths(pairs, ['direct', 'direct', 'direct']);
    expect(pairs.slice(0, 2).map((pair) => bodyOf(pair.off).errors?.[0]?.extensions?.code)).toEqual([
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_PARSE_FAILED',
    ]);
    expect(bodyOf(pairs[2]!.on).data.fineTunes.__typename).toBe('JobConnection');
  });

  it('the placeholder text of a document run by id: still a syntax error', async () => {
    const pairs = await twice(on, off, placeholderOf(documentId, { id: JOB_ID }), 'direct', { teach: byId });
    expect(pairs.map((pair) => bodyOf(pair.off).errors?.[0]?.extensions?.code)).toEqual(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_PARSE_FAILED']);
  });
});

describe('trusted documents only', () => {
  const MANIFEST = 'examples/generated/persisted-documents.json';
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  const [documentId, documentText] = Object.entries(manifest).find(([, text]) => text.includes('query JobDetails('))!;
  let on: Side;
  let off: Side;
  startSides((started) => ([on, off] = started), { PERSISTED_OPERATIONS_MANIFEST: MANIFEST, PERSISTED_OPERATIONS_ONLY: 'true' });

  it('a document id: the front once the document ran', async () => {
    await twice(on, off, { body: JSON.stringify({ documentId, variables: { id: JOB_ID } }) }, 'direct');
  });

  it('the same document as text, even once known: refused by Yoga', async () => {
    const pairs = await twice(on, off, { body: JSON.stringify({ query: documentText, variables: { id: JOB_ID } }) }, 'direct', {
      teach: { body: JSON.stringify({ documentId, variables: { id: JOB_ID } }) },
    });
    expect(pairs.map((pair) => bodyOf(pair.off).errors?.[0]?.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY', 'PERSISTED_QUERY_ONLY']);
  });
});

describe('tracing: the same spans on both paths', () => {
  const exporters = { on: new InMemorySpanExporter(), off: new InMemorySpanExporter() };
  const providers = {
    on: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporters.on)] }),
    off: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporters.off)] }),
  };
  let on: Side;
  let off: Side;
  beforeAll(async () => {
    [on, off] = await Promise.all([
      startSide('on', {}, { tracerProvider: providers.on }),
      startSide('off', {}, { tracerProvider: providers.off }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([on?.stack.close(), off?.stack.close()]);
    await Promise.all([providers.on.shutdown(), providers.off.shutdown()]);
  });

  /** Spans of one request, with what differs between any two runs (ids, times, ports) checked and left out. */
  const spansOf = (side: Side, answer: Answer, traceparent: { traceId: string; spanId: string }) => {
    const spans = exporters[side.name].getFinishedSpans();
    exporters[side.name].reset();
    const server = spans.filter((span) => span.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    const serverSpan = server[0]!;
    expect(serverSpan.spanContext().traceId).toBe(traceparent.traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(traceparent.spanId);
    const describe = (span: ReadableSpan) => {
      expect(span.spanContext().traceId).toBe(traceparent.traceId);
      const attributes = { ...span.attributes };
      for (const [key, value] of Object.entries(attributes)) {
        if (typeof value !== 'string' && typeof value !== 'number') continue;
        let text = String(value).replaceAll(side.stack.sim.origin, '<simulator>');
        for (const call of answer.calls) text = text.replaceAll(call.requestId, UPSTREAM_REQUEST_ID);
        attributes[key] = key === 'server.port' ? '<simulator port>' : typeof value === 'number' ? value : text;
      }
      return {
        name: span.name,
        kind: span.kind,
        status: span.status,
        parent:
          span === serverSpan
            ? 'incoming traceparent'
            : span.parentSpanContext?.spanId === serverSpan.spanContext().spanId
              ? 'server span'
              : 'other',
        attributes,
        events: span.events.map((event) => event.name),
      };
    };
    return spans.map(describe).sort((a, b) => `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`));
  };

  it.each([
    [
      'a job and a missing job',
      `query Traced { a: fineTune(id: "${JOB_ID}") { __typename } b: fineTune(id: "${MISSING_ID}") { __typename } }`,
    ],
    ['a page', `query TracedPage { fineTunes(page: { size: 2 }) { __typename } }`],
    ['a bug', `query TracedBug { fineTune(id: "${BUG_ID}") { __typename } }`],
  ])('%s', async (name, query) => {
    const traceparent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const spec: RequestSpec = {
      ...post(`tracing ${name}`, query),
      headers: { ...DEFAULT_HEADERS, traceparent: `00-${traceparent.traceId}-${traceparent.spanId}-01` },
    };
    for (const side of [on, off]) await exchange(side, spec);
    exporters.on.reset();
    exporters.off.reset();
    const routed = await exchange(on, spec);
    const yoga = await exchange(off, spec);
    expect([routed.front, yoga.front]).toEqual(['direct', 'adapter']);
    expectSameAnswer(routed, yoga);
    const onSpans = spansOf(on, routed, traceparent);
    expect(onSpans).toEqual(spansOf(off, yoga, traceparent));
    expect(onSpans.length).toBeGreaterThan(0);
    // The upstream received this trace on both paths.
    for (const call of routed.calls) expect(call.traceparent).toContain(traceparent.traceId);
  });
});
