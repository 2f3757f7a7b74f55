import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSchemaCheck } from '../src/tools/schema-check.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = readFileSync(join(ROOT, 'schema/schema.graphql'), 'utf8');
const SUBGRAPH = readFileSync(join(ROOT, 'schema/subgraph.graphql'), 'utf8');

/** Edits of the committed SDL, each asserted to have applied. */
function edit(sdl: string, from: string | RegExp, to: string): string {
  const edited = sdl.replace(from, to);
  expect(edited).not.toBe(sdl);
  return edited;
}
const withoutModel = (sdl: string) => edit(sdl, /\n  """The model id used for the job \(`model`\)\."""\n  model: String!/, '');
const withExtraField = (sdl: string) => edit(sdl, /\n  maxOutputCnt: Int\n/, '\n  maxOutputCnt: Int\n  legacyScore: Float\n');

async function check(argv: string[], cwd = ROOT): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runSchemaCheck(argv, { cwd, out: (text) => lines.push(text) });
  return { code, output: lines.join('\n') };
}

describe('npm run schema:check (GraphQL Inspector)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'schema-check-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('passes when the code prints what is committed', async () => {
    const { code, output } = await check([]);
    expect(output).toContain('schema/schema.graphql (committed -> code): 0 breaking');
    expect(output).toContain('schema/subgraph.graphql (committed -> code): 0 breaking');
    expect(code).toBe(0);
  });

  it('fails on a removed field', async () => {
    const { code, output } = await check(['--old', 'schema/schema.graphql', '--new', file('removed.graphql', withoutModel(CLIENT))]);
    expect(output).toMatch(/BREAKING +Field 'model' was removed from object type 'FineTuneJob'/);
    expect(code).toBe(1);
  });

  it('passes on an added field, listing it as safe', async () => {
    const { code, output } = await check(['--old', 'schema/schema.graphql', '--new', file('added.graphql', withExtraField(CLIENT))]);
    expect(output).toMatch(/0 breaking, 0 dangerous, 1 safe\n +safe +Field 'legacyScore' was added to object type 'FineTuneJob'/);
    expect(code).toBe(0);
  });

  it('lists a new enum value as dangerous without failing (the contract allows additions)', async () => {
    const { code, output } = await check([
      '--old',
      'schema/schema.graphql',
      '--new',
      file('enum.graphql', edit(CLIENT, /\n  UNKNOWN\n/, '\n  UNKNOWN\n  ARCHIVED\n')),
    ]);
    expect(output).toMatch(/dangerous Enum value 'ARCHIVED' was added to enum 'FineTuneStatus'/);
    expect(code).toBe(0);
  });

  it('fails when the subgraph drops or changes the entity key', async () => {
    const dropped = await check([
      '--old',
      'schema/subgraph.graphql',
      '--new',
      file('nokey.graphql', edit(SUBGRAPH, '@key(fields: "id")', '')),
    ]);
    expect(dropped.output).toMatch(/BREAKING +Directive 'key' was removed from object 'FineTuneJob'/);
    expect(dropped.code).toBe(1);
    const changed = await check([
      '--old',
      'schema/subgraph.graphql',
      '--new',
      file('otherkey.graphql', edit(SUBGRAPH, '@key(fields: "id")', '@key(fields: "jobName")')),
    ]);
    expect(changed.code).toBe(1);
  });

  it('--base <git-ref> compares with the artifacts at that commit (as CI does with origin/main)', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'schema'), { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=ci@example.invalid', '-c', 'user.name=ci', '-c', 'commit.gpgsign=false', ...args], {
        cwd: repo,
        stdio: 'ignore',
      });
    git('init', '--quiet');
    // The base had a field the code no longer has; the subgraph SDL did not exist yet.
    writeFileSync(join(repo, 'schema/schema.graphql'), withExtraField(CLIENT));
    git('add', '-A');
    git('commit', '--quiet', '-m', 'base with legacyScore');
    const removed = await check(['--base', 'HEAD'], repo);
    expect(removed.output).toContain('schema/subgraph.graphql: not in HEAD, nothing to compare against.');
    expect(removed.output).toMatch(/BREAKING +Field 'legacyScore' was removed from object type 'FineTuneJob'/);
    expect(removed.code).toBe(1);

    // A base without `model`: the code adds it, which is safe.
    writeFileSync(join(repo, 'schema/schema.graphql'), withoutModel(CLIENT));
    writeFileSync(join(repo, 'schema/subgraph.graphql'), SUBGRAPH);
    git('add', '-A');
    git('commit', '--quiet', '-m', 'base without model');
    const added = await check(['--base', 'HEAD'], repo);
    expect(added.output).toMatch(/safe +Field 'model' was added to object type 'FineTuneJob'/);
    expect(added.code).toBe(0);

    const unknown = await check(['--base', 'no-such-ref'], repo);
    expect(unknown.output).toContain('"no-such-ref" is not a commit');
    expect(unknown.code).toBe(2);
  });

  it('rejects unknown or half-given options with exit code 2', async () => {
    expect((await check(['--bse', 'main'])).code).toBe(2);
    expect((await check(['--old', 'schema/schema.graphql'])).code).toBe(2);
  });

  it('sets the process exit code, for CI', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/tools/schema-check.ts',
        '--old',
        'schema/schema.graphql',
        '--new',
        file('cli.graphql', withoutModel(CLIENT)),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.stdout).toContain("Field 'model' was removed");
    expect(run.status).toBe(1);
  });
});
