import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_JOB_ID } from '../src/graphiql.js';
import { type Stack, startStack } from './support/stack.js';

/**
 * GraphiQL in a real headless Chromium: Debian's `chromium` package (`.ci/run` installs it), driven
 * by playwright-core. No browser is ever downloaded, and the page may reach nothing but 127.0.0.1.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;
const SCREENSHOT = join(ARTIFACTS, 'graphiql.png');

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('GraphiQL in headless Chromium', () => {
  let stack: Stack;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  /** Every URL the page asked for, and those the test refused because they left 127.0.0.1. */
  const requested: string[] = [];
  const accepts: string[] = [];
  const blocked: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (as .ci/run does) or set CHROMIUM_PATH.`);
    }
    stack = await startStack();
    profile = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    await browser.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    browser.on('request', (request) => {
      requested.push(request.url());
      accepts.push(request.headers().accept ?? '');
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
  });

  it('runs the default RecentJobs operation against the simulator and shows the result', async () => {
    const listCallsBefore = stack.sim.count('listJobs');
    await page.goto(`${stack.url}/graphql`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
    // The default tab is the tour: all its operations are in the editor.
    const editor = page.locator('.graphiql-query-editor');
    await expect.poll(() => text(editor)).toContain('query RecentJobs');

    await page.locator('.graphiql-execute-button').click();
    // Several operations in the editor: GraphiQL asks which one to run.
    await page.getByRole('menuitem', { name: 'RecentJobs' }).click();

    const response = page.locator('.graphiql-response');
    await expect.poll(() => text(response), { timeout: 15_000 }).toContain('"__typename": "JobConnection"');
    const shown = await text(response);
    expect(shown).toContain(`"totalCount": ${stack.sim.jobs().length}`);
    expect(shown).toContain(`"id": "${EXAMPLE_JOB_ID}"`);
    expect(shown).toContain('"hasNextPage": true');
    // It really went through the gateway to the simulator, with the operation's default variables.
    const listCalls = stack.sim.calls.slice(listCallsBefore).filter((call) => call.endpoint === 'listJobs');
    expect(listCalls.map((call) => call.url)).toEqual(['/api/v1/fine-tunes?page_no=1&page_size=5']);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('runs the WatchJob subscription over Server-Sent Events', async () => {
    await page.locator('.graphiql-execute-button').click();
    await page.getByRole('menuitem', { name: 'WatchJob' }).click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => text(response), { timeout: 15_000 }).toContain('"fineTuneStatus"');
    const shown = await text(response);
    expect(shown).toContain(`"id": "${EXAMPLE_JOB_ID}"`);
    expect(shown).toContain('"isTerminal": true');
    expect(accepts.some((accept) => accept.includes('text/event-stream'))).toBe(true);
  }, 30_000);

  it("a browser's own EventSource (a GET, no custom header possible) receives the subscription's events", async () => {
    const query = `subscription { fineTuneStatus(id: "${EXAMPLE_JOB_ID}") { __typename ... on FineTuneJob { id status isTerminal } } }`;
    const received = await page.evaluate(
      (url) =>
        new Promise<{ next: string[]; completed: boolean }>((resolve, reject) => {
          const source = new EventSource(url);
          const next: string[] = [];
          const timer = setTimeout(() => {
            source.close();
            reject(new Error(`no complete event; got ${JSON.stringify(next)}`));
          }, 10_000);
          source.addEventListener('next', (event) => next.push((event as MessageEvent<string>).data));
          source.addEventListener('complete', () => {
            clearTimeout(timer);
            // Closed at once: an EventSource would otherwise reconnect and subscribe again.
            source.close();
            resolve({ next, completed: true });
          });
        }),
      `/graphql?query=${encodeURIComponent(query)}`,
    );
    expect(received.completed).toBe(true);
    expect(received.next.map((data) => JSON.parse(data))).toEqual([
      { data: { fineTuneStatus: { __typename: 'FineTuneJob', id: EXAMPLE_JOB_ID, status: 'SUCCEEDED', isTerminal: true } } },
    ]);
  }, 30_000);

  it('documents the schema in the Docs pane from the vendor reference', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await expect.poll(() => text(docs)).toContain('Fine-tuning jobs of Alibaba Cloud Model Studio');
    expect(await text(docs)).toContain('One fine-tuning job by id');
    await docs.getByText('fineTune', { exact: true }).first().click();
    // The argument's description, its Markdown rendered.
    await expect.poll(() => text(docs)).toContain('The job id (job_id), e.g. ft-202410291653-1c7f.');
  }, 30_000);

  it('loaded everything from the gateway itself: no request left 127.0.0.1, no script error', () => {
    expect(blocked).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url).toMatch(/^(?:https?:\/\/127\.0\.0\.1:\d+\/|blob:http:\/\/127\.0\.0\.1:\d+\/|data:)/);
    expect(pageErrors).toEqual([]);
  });
});

describe('the GraphiQL page', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('references no script, stylesheet or icon on another origin (it must work offline)', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/<(?:script|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net/);
  });
});

/** Visible text of a locator; the Monaco editor renders spaces as no-break spaces. */
async function text(locator: ReturnType<Page['locator']>): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator, not a DOM node; the rendered text is the point.
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}
