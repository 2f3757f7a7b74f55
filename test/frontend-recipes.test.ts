import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * The client recipes of docs/frontend.md, run as written: every fenced block after a
 * `<!-- recipe: NAME -->` marker is taken from the document, its `http://127.0.0.1:4000` replaced
 * by a gateway started here (on the simulator), and run: the Node ones as a module in examples/
 * (where `./generated/` is), the browser one in headless Chromium on a page of the gateway's origin.
 */

const DOC = new URL('../docs/frontend.md', import.meta.url);
const DOC_ORIGIN = 'http://127.0.0.1:4000';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function recipes(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of readFileSync(DOC, 'utf8').matchAll(/<!-- recipe: ([\w-]+) -->\s*```(?:ts|js)\n([\s\S]*?)\n```/g)) {
    found.set(match[1]!, match[2]!);
  }
  return found;
}

/** Runs a Node recipe as a module next to examples/generated/, with the given origin; resolves with its output. */
function runNodeRecipe(name: string, code: string, origin: string): Promise<{ code: number | null; out: string }> {
  const file = new URL(`../examples/.recipe-${name}.ts`, import.meta.url).pathname;
  writeFileSync(file, code.replaceAll(DOC_ORIGIN, origin));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill(), 30_000);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      rmSync(file, { force: true });
      resolve({ code: exitCode, out });
    });
  });
}

/** The JSON lines a recipe printed. */
const jsonLines = (out: string): unknown[] =>
  out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

const JOB = { __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED' };
const NOT_FOUND = { __typename: 'NotFoundError', code: 'NotFound', message: expect.any(String), requestId: expect.any(String) };

describe('docs/frontend.md: each client recipe, run as written', () => {
  let stack: Stack;
  const all = recipes();
  /** `METHOD /path` of every request the gateway received. */
  const received: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ plugins: [{ onRequest: ({ request, url }) => void received.push(`${request.method} ${url.pathname}`) }] });
  });
  afterAll(() => stack.close());

  it('has a recipe per client (and a heading for Relay)', () => {
    expect([...all.keys()].sort()).toEqual(['apollo-client', 'event-source', 'graphql-request', 'graphql-sse', 'urql']);
    expect(readFileSync(DOC, 'utf8')).toMatch(/^### Relay$/m);
  });

  it('Apollo Client: a job, a NotFoundError with its Error fields (possibleTypes), a subscription', async () => {
    const since = received.length;
    const { code, out } = await runNodeRecipe('apollo-client', all.get('apollo-client')!, stack.url);
    expect(code, out).toBe(0);
    // The query: its hash, then its text once (APQ); the same query again (other variables): its
    // hash only; the subscription: graphql-sse's POST.
    expect(received.slice(since)).toEqual(['POST /graphql', 'POST /graphql', 'POST /graphql', 'POST /graphql']);
    expect(jsonLines(out)).toEqual([JOB, NOT_FOUND, { ...JOB, isTerminal: true }]);
    expect(out).toContain('complete');
  }, 40_000);

  it('urql: a job and a NotFoundError (queries as GET), a subscription through graphql-sse', async () => {
    const since = received.length;
    const { code, out } = await runNodeRecipe('urql', all.get('urql')!, stack.url);
    expect(code, out).toBe(0);
    // Two queries as GETs, the subscription as graphql-sse's POST.
    expect(received.slice(since)).toEqual(['GET /graphql', 'GET /graphql', 'POST /graphql']);
    expect(jsonLines(out)).toEqual([JOB, NOT_FOUND, { ...JOB, isTerminal: true }]);
  }, 40_000);

  it('graphql-request: a job and a NotFoundError', async () => {
    const since = received.length;
    const { code, out } = await runNodeRecipe('graphql-request', all.get('graphql-request')!, stack.url);
    expect(code, out).toBe(0);
    expect(received.slice(since)).toEqual(['GET /graphql', 'GET /graphql']);
    expect(jsonLines(out)).toEqual([JOB, NOT_FOUND]);
  }, 40_000);

  it('graphql-sse: the subscription in distinct-connections and in single-connection mode', async () => {
    const since = received.length;
    const { code, out } = await runNodeRecipe('graphql-sse', all.get('graphql-sse')!, stack.url);
    expect(code, out).toBe(0);
    // Distinct: one POST event stream at /graphql. Single: reserve (PUT), the event stream (GET) and
    // the operation (POST) at /graphql/stream.
    expect(received.slice(since).sort()).toEqual(['GET /graphql/stream', 'POST /graphql', 'POST /graphql/stream', 'PUT /graphql/stream']);
    expect(jsonLines(out)).toEqual([
      { ...JOB, isTerminal: true },
      { ...JOB, isTerminal: true },
    ]);
  }, 40_000);

  it("a browser's EventSource, in headless Chromium on the gateway's origin", async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (as .ci/run does) or set CHROMIUM_PATH.`);
    const profile = mkdtempSync(join(tmpdir(), 'recipes-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        '--proxy-server=http://127.0.0.1:9',
        '--proxy-bypass-list=127.0.0.1',
      ],
    });
    try {
      const page = await browser.newPage();
      const printed: string[] = [];
      page.on('console', (message) => printed.push(message.text()));
      await page.goto(`${stack.url}/health`);
      const done = page.waitForEvent('console', { predicate: (message) => message.text() === 'complete', timeout: 15_000 });
      await page.addScriptTag({ content: all.get('event-source')!.replaceAll(DOC_ORIGIN, stack.url) });
      await done;
      expect(jsonLines(printed.join('\n'))).toEqual([{ data: { fineTuneStatus: { ...JOB, isTerminal: true } } }]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 40_000);
});
