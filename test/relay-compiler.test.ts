import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

/**
 * The real relay-compiler (its own binary, shipped in the npm package) over the fragments in
 * `test/relay/src/` against the checked-in `schema/schema.graphql`: `@connection` on `fineTuneJobs`
 * (forwards and backwards), `@refetchable` on a `Query` fragment and on a `FineTuneJob` fragment
 * (through `Node` and `node(id:)`). The operations it generates are then sent to the gateway.
 */

const execFileAsync = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const COMPILER = createRequire(import.meta.url).resolve('relay-compiler/cli.js');

/** The operation text relay-compiler put in an artifact (`params.text`). */
function operationText(artifact: string): string {
  const match = /"text": ("(?:[^"\\]|\\.)*")/.exec(artifact);
  if (match === null) throw new Error('no operation text in the artifact');
  return JSON.parse(match[1] as string) as string;
}

describe('relay-compiler accepts the schema for Relay paging and refetching', () => {
  let dir: string;
  let artifacts: Map<string, string>;
  let stack: Stack;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-'));
    await cp(join(ROOT, 'test/relay/src'), join(dir, 'src'), { recursive: true });
    await mkdir(join(dir, '__generated__'));
    const config = {
      src: './src',
      schema: join(ROOT, 'schema/schema.graphql'),
      language: 'typescript',
      artifactDirectory: './__generated__',
    };
    await writeFile(join(dir, 'relay.config.json'), JSON.stringify(config));
    // Throws (with the compiler's messages) unless it exits 0.
    await execFileAsync(process.execPath, [COMPILER, '--noWatchman', '--output', 'quiet-with-errors'], { cwd: dir, timeout: 60_000 });
    artifacts = new Map();
    for (const name of await readdir(join(dir, '__generated__'))) {
      artifacts.set(name, await readFile(join(dir, '__generated__', name), 'utf8'));
    }
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('compiles and emits the artifacts: fragments, the query, the pagination and refetch queries', () => {
    expect([...artifacts.keys()].sort()).toEqual([
      'JobListOldestPaginationQuery.graphql.ts',
      'JobListPaginationQuery.graphql.ts',
      'JobListQuery.graphql.ts',
      'JobList_oldest.graphql.ts',
      'JobList_query.graphql.ts',
      'JobRowRefetchQuery.graphql.ts',
      'JobRow_job.graphql.ts',
    ]);
    // @connection metadata on the fragment: forward paging over fineTuneJobs.
    const list = artifacts.get('JobList_query.graphql.ts') ?? '';
    expect(list).toMatch(/"connection": \[\s*\{\s*"count": "count",\s*"cursor": "cursor",\s*"direction": "forward"/);
    expect(artifacts.get('JobList_oldest.graphql.ts')).toMatch(/"direction": "backward"/);
    expect(operationText(artifacts.get('JobRowRefetchQuery.graphql.ts') ?? '')).toMatch(/node\(id: \$id\)/);
  });

  it('the generated operations run against the gateway: a page, the next page by cursor, a job refetched by node(id)', async () => {
    const run = async (artifact: string, variables: Record<string, unknown> = {}) => {
      const { body } = await stack.raw({ query: operationText(artifacts.get(artifact) ?? ''), variables });
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      return body.data;
    };
    const ids = stack.sim.jobs().map((job) => job.job_id);
    const first = await run('JobListQuery.graphql.ts');
    const edges = first.fineTuneJobs.edges as { node: { id: string } }[];
    expect(edges.map((edge) => edge.node.id)).toEqual(ids.slice(0, 10));
    expect(first.fineTuneJobs.pageInfo).toMatchObject({ hasNextPage: true });
    expect((first.oldest.edges as { node: { id: string } }[]).map((edge) => edge.node.id)).toEqual(ids.slice(-10));

    const next = await run('JobListPaginationQuery.graphql.ts', { count: 5, cursor: first.fineTuneJobs.pageInfo.endCursor });
    expect((next.fineTuneJobs.edges as { node: { id: string } }[]).map((edge) => edge.node.id)).toEqual(ids.slice(10, 15));

    const refetched = await run('JobRowRefetchQuery.graphql.ts', { id: ids[3] });
    expect(refetched.node).toMatchObject({ __typename: 'FineTuneJob', id: ids[3] });
  });
});
