import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayClient } from '../examples/client.js';
import {
  CancelJobDocument,
  CreateJobDocument,
  DeleteJobDocument,
  ExportCheckpointDocument,
  JobDetailsDocument,
  JobListDocument,
  JobStatusDocument,
} from '../examples/generated/graphql.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { loadPersistedOperations } from '../src/persisted-operations.js';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { type Stack, startStack } from './support/stack.js';

/** Trusted documents: the manifest `npm run codegen` writes from examples/operations/. */
const MANIFEST = 'examples/generated/persisted-documents.json';
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;

const documentId = (document: object): string => (document as { __meta__: { hash: string } }).__meta__.hash;
const hexOf = (id: string): string => id.replace(/^sha256:/, '');

describe('PERSISTED_OPERATIONS_ONLY=true: only trusted documents run', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PERSISTED_OPERATIONS_MANIFEST: MANIFEST, PERSISTED_OPERATIONS_ONLY: 'true' } });
  });
  afterAll(() => stack.close());

  it('runs the example client by document id, typed end to end', async () => {
    const client = createGatewayClient({ url: `${stack.url}/graphql`, persisted: true });
    const { fineTunes } = await client.request(JobListDocument, { page: { number: 1, size: 3 } });
    expect(fineTunes.__typename).toBe('JobConnection');
    if (fineTunes.__typename !== 'JobConnection') return;
    expect(fineTunes.nodes.map((job) => job.id)).toEqual(
      stack.sim
        .jobs()
        .slice(0, 3)
        .map((job) => job.job_id),
    );

    const { fineTune } = await client.request(JobDetailsDocument, { id: EXAMPLE_JOB_ID });
    expect(fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED', durationSeconds: 1053 });
    const missing = await client.request(JobDetailsDocument, { id: 'ft-000000000000-none' });
    expect(missing.fineTune).toMatchObject({ __typename: 'NotFoundError', requestId: expect.any(String) });
  });

  it("accepts Apollo's APQ shape too, over POST and GET", async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: hexOf(documentId(JobDetailsDocument)) } };
    const variables = { id: EXAMPLE_JOB_ID };
    const post = await stack.raw({ extensions, variables });
    expect(post.status).toBe(200);
    expect(post.body.data.fineTune).toMatchObject({ id: EXAMPLE_JOB_ID });
    const search = new URLSearchParams({ extensions: JSON.stringify(extensions), variables: JSON.stringify(variables) });
    const get = await fetch(`${stack.url}/graphql?${search}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: { fineTune: { id: string } } }).data.fineTune.id).toBe(EXAMPLE_JOB_ID);
  });

  it('refuses any document sent as text, even a trusted one, with no upstream call', async () => {
    const since = stack.sim.calls.length;
    const arbitrary = await stack.raw({ query: '{ fineTunes { __typename } }' });
    expect(arbitrary.status).toBe(400);
    expect(arbitrary.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(arbitrary.body.data).toBeUndefined();
    // The manifest's own text, sent as text: trusted documents are trusted by id only.
    const trustedText = manifest[documentId(JobListDocument)];
    const asText = await stack.raw({ query: trustedText, variables: {} });
    expect(asText.status).toBe(400);
    expect(asText.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    // Introspection is a document like any other.
    const introspection = await stack.raw({ query: '{ __schema { types { name } } }' });
    expect(introspection.status).toBe(400);
    expect(stack.sim.calls.length).toBe(since);
  });

  it('refuses an unknown id and a request with neither id nor query, with no upstream call', async () => {
    const since = stack.sim.calls.length;
    const unknown = await stack.raw({ documentId: `sha256:${'0'.repeat(64)}`, variables: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]).toMatchObject({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });
    const empty = await stack.raw({ variables: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    expect(stack.sim.calls.length).toBe(since);
  });

  it('runs a trusted subscription over SSE', async () => {
    const response = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ documentId: documentId(JobStatusDocument), variables: { id: EXAMPLE_JOB_ID } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = await response.text();
    expect(stream).toContain(`"id":"${EXAMPLE_JOB_ID}"`);
    expect(stream).toMatch(/event: complete/);
  });

  it('runs trusted mutations by id (POST only); a mutation sent as text is refused with no upstream call', async () => {
    const client = createGatewayClient({ url: `${stack.url}/graphql`, persisted: true });
    const since = stack.sim.calls.length;
    const { createFineTune } = await client.request(CreateJobDocument, {
      input: { model: 'qwen3-14b', trainingFileIds: ['86a9fe7f-dd77-43b0-9834-2170e12339ec'], idempotencyKey: 'persisted-create' },
    });
    expect(createFineTune).toMatchObject({ __typename: 'FineTuneJob', status: 'PENDING', model: 'qwen3-14b' });
    if (createFineTune.__typename !== 'FineTuneJob') return;
    const { cancelFineTune } = await client.request(CancelJobDocument, { id: createFineTune.id });
    expect(cancelFineTune).toMatchObject({ __typename: 'FineTuneJob', id: createFineTune.id, status: 'CANCELING' });
    expect(stack.sim.calls.slice(since).map((call) => call.endpoint)).toEqual(['createJob', 'cancelJob', 'getJob']);

    const asText = await stack.raw({ query: manifest[documentId(CancelJobDocument)], variables: { id: createFineTune.id } });
    expect(asText.status).toBe(400);
    expect(asText.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    // A trusted mutation by its APQ hash over GET: still a mutation over GET, refused.
    const extensions = { persistedQuery: { version: 1, sha256Hash: hexOf(documentId(CancelJobDocument)) } };
    const search = new URLSearchParams({ extensions: JSON.stringify(extensions), variables: JSON.stringify({ id: createFineTune.id }) });
    const overGet = await fetch(`${stack.url}/graphql?${search}`);
    expect(overGet.status).toBe(405);
    expect(stack.sim.calls.length - since).toBe(3);

    // Leave the demo data as it was (the example below shows the newest job).
    stack.sim.settleCancels();
    const { deleteFineTune } = await client.request(DeleteJobDocument, { id: createFineTune.id });
    expect(deleteFineTune).toEqual({ __typename: 'DeletedFineTuneJob', id: createFineTune.id });
    expect(stack.sim.calls.slice(since).map((call) => call.endpoint)).toEqual(['createJob', 'cancelJob', 'getJob', 'deleteJob']);

    // The export by id too; as text it is refused before any upstream call.
    const input = { jobId: EXAMPLE_JOB_ID, checkpoint: 'checkpoint-160', modelName: 'persisted-export' };
    const { exportFineTuneCheckpoint } = await client.request(ExportCheckpointDocument, { input });
    expect(exportFineTuneCheckpoint).toMatchObject({
      __typename: 'FineTuneCheckpoint',
      checkpoint: 'checkpoint-160',
      status: 'PROCESSING',
    });
    const exportAsText = await stack.raw({ query: manifest[documentId(ExportCheckpointDocument)], variables: { input } });
    expect(exportAsText.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(stack.sim.calls.slice(since).map((call) => call.endpoint)).toEqual([
      'createJob',
      'cancelJob',
      'getJob',
      'deleteJob',
      'exportCheckpoint',
      'listCheckpoints',
    ]);
  });

  it('serves no GraphiQL (it could not even introspect)', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toContain('renderYogaGraphiQL');
  });

  it('`npm run example -- --persisted` prints the jobs; without --persisted it is refused', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'examples/jobs.ts', ...args], {
          env: { ...process.env, GATEWAY_URL: `${stack.url}/graphql` },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (out += chunk));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const persisted = await run(['--persisted']);
    expect(persisted.code).toBe(0);
    expect(persisted.out).toContain(`${stack.sim.jobs().length} jobs, page 1 of`);
    expect(persisted.out).toContain(`${EXAMPLE_JOB_ID}: SUCCEEDED, model qwen3-14b-suffix-ft-202410291653-1c7f`);
    const asText = await run([]);
    expect(asText.code).toBe(1);
    expect(asText.out).toContain('HTTP 400: This gateway only runs trusted documents');
  }, 30_000);
});

describe('a manifest without PERSISTED_OPERATIONS_ONLY: both ids and text run', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PERSISTED_OPERATIONS_MANIFEST: MANIFEST } });
  });
  afterAll(() => stack.close());

  it('runs trusted documents by id and any other document as text', async () => {
    const byId = await createGatewayClient({ url: `${stack.url}/graphql`, persisted: true }).request(JobDetailsDocument, {
      id: EXAMPLE_JOB_ID,
    });
    expect(byId.fineTune).toMatchObject({ __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID });
    const asText = await createGatewayClient({ url: `${stack.url}/graphql` }).request(JobDetailsDocument, { id: EXAMPLE_JOB_ID });
    expect(asText).toEqual(byId);
    const arbitrary = await stack.raw({ query: '{ fineTunes(page: { size: 1 }) { __typename } }' });
    expect(arbitrary.body).toEqual({ data: { fineTunes: { __typename: 'JobConnection' } } });
    const unknown = await stack.raw({ documentId: `sha256:${'0'.repeat(64)}` });
    expect(unknown.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
  });

  it('still serves GraphiQL', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await response.text()).toContain('renderYogaGraphiQL');
  });
});

describe('the manifest', () => {
  it('is what codegen wrote: every id is the SHA-256 of its document, one per example operation', () => {
    const operations = loadPersistedOperations(MANIFEST);
    const documents = [
      JobListDocument,
      JobDetailsDocument,
      JobStatusDocument,
      CreateJobDocument,
      CancelJobDocument,
      DeleteJobDocument,
      ExportCheckpointDocument,
    ];
    expect(operations.size).toBe(documents.length);
    for (const document of documents) {
      expect(operations.has(hexOf(documentId(document)))).toBe(true);
    }
  });

  it('refuses to start with a tampered or unreadable manifest, or ONLY without a manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    try {
      const [id] = Object.keys(manifest);
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, JSON.stringify({ [id!]: '{ fineTunes { __typename } }' }));
      expect(() => loadPersistedOperations(tampered)).toThrow(/is not the SHA-256 of its document/);
      expect(() => loadPersistedOperations(join(dir, 'missing.json'))).toThrow(ConfigError);
      expect(() => loadConfig({ PERSISTED_OPERATIONS_ONLY: 'true' })).toThrow(/needs PERSISTED_OPERATIONS_MANIFEST/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PERSISTED_OPERATIONS_ONLY defaults to off', () => {
    expect(loadConfig({ PERSISTED_OPERATIONS_MANIFEST: MANIFEST })).toMatchObject({
      persistedOperationsManifest: MANIFEST,
      persistedOperationsOnly: false,
    });
  });
});

describe('without a manifest (the default)', () => {
  it('answers a document id with a request error, as plain GraphQL over HTTP', async () => {
    const stack = await startStack();
    try {
      const since = stack.sim.calls.length;
      const response = await stack.raw({ documentId: documentId(JobDetailsDocument) });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.message).toBe('Unexpected parameter "documentId" in the request body.');
      expect(stack.sim.calls.length).toBe(since);
    } finally {
      await stack.close();
    }
  });
});
