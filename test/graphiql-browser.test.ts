import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type CDPSession, type Page, chromium } from 'playwright-core';
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
  // Nothing but 127.0.0.1 is reachable: other hosts resolve to nothing, and everything not on the
  // loopback goes to a proxy that does not exist. (Not Playwright's request routing: it turns the
  // HTTP cache off, and the second-visit test measures that cache's revalidation.)
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=127.0.0.1',
];

describe('GraphiQL in headless Chromium', () => {
  let stack: Stack;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  /** Every URL the page asked for, and those that would have left 127.0.0.1 (the flags above refuse them). */
  const requested: string[] = [];
  const accepts: string[] = [];
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  /** The first visit's numbers, checked again (and printed) by the second visit's test. */
  let firstVisit: Visit | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (as .ci/run does) or set CHROMIUM_PATH.`);
    }
    stack = await startStack();
    // As `main.ts` does at start-up: GraphiQL's files are compressed (once per installation) before
    // the first visit. On a fresh clone that is a build of seconds, longer on a busy machine.
    await stack.gateway.graphiql?.get();
    profile = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    browser.on('request', (request) => {
      const url = new URL(request.url());
      if (/^https?:$/.test(url.protocol) && url.hostname !== '127.0.0.1') blocked.push(url.href);
      requested.push(request.url());
      accepts.push(request.headers().accept ?? '');
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
  });

  it('runs the default RecentJobs operation against the simulator and shows the result', async () => {
    const listCallsBefore = stack.sim.count('listJobs');
    firstVisit = await visit(browser, page, `${stack.url}/graphql`);
    console.log(`GraphiQL first visit: ${describeVisit(firstVisit)}`);
    // The page came compressed, with a validator, and its assets (script, styles, workers, icon) separately.
    expect(['br', 'gzip']).toContain(firstVisit.document.encoding);
    expect(firstVisit.document.etag).toMatch(/^"[\w-]+"$/);
    // The script and the styles at least (the icon and the editor's workers come when the browser gets to them).
    expect(firstVisit.fetchedAssets).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/graphiql\/graphiql\.[\w-]+\.js$/),
        expect.stringMatching(/^\/graphiql\/graphiql\.[\w-]+\.css$/),
      ]),
    );
    // Generous bounds that catch a regression (uncompressed, GraphiQL is 9 MB).
    expect(firstVisit.graphiqlTransferred).toBeLessThan(2.6 * 1024 * 1024);
    expect(firstVisit.document.transferred).toBeLessThan(10 * 1024);
    expect(firstVisit.msToRunButton).toBeLessThan(20_000);
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

  it('a second visit takes the assets from the cache and transfers a few KB of GraphiQL', async () => {
    expect(firstVisit).toBeDefined();
    const again = await browser.newPage();
    try {
      const second = await visit(browser, again, `${stack.url}/graphql`);
      console.log(`GraphiQL second visit: ${describeVisit(second)}`);
      expect(second.assetsFetched).toBe(0);
      // The page itself: revalidated (304), or sent again when GraphiQL's POSTs to the same URL
      // evicted it from the cache; either way a few KB.
      expect([200, 304]).toContain(second.document.status);
      expect(second.graphiqlTransferred).toBeLessThan(10 * 1024);
      expect(second.msToRunButton).toBeLessThan(20_000);
    } finally {
      await again.close();
    }
  }, 60_000);

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
    // The files themselves (built on a fresh clone's first run) are not what these tests time.
    await stack.gateway.graphiql?.get();
  }, 120_000);
  afterAll(() => stack.close());

  it('references no script, stylesheet or icon on another origin (it must work offline)', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/<(?:script|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr\.net/);
  });

  it('is compressed per Accept-Encoding, validated by ETag (304), and its hashed assets are immutable', async () => {
    const page = (encoding: string, extra: Record<string, string> = {}) =>
      fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html', 'accept-encoding': encoding, ...extra } });
    const br = await page('gzip, deflate, br');
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(br.headers.get('cache-control')).toBe('private, no-cache');
    const etag = br.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const html = await br.text();
    expect((await page('gzip')).headers.get('content-encoding')).toBe('gzip');
    expect((await page('br;q=0, gzip;q=0.5')).headers.get('content-encoding')).toBe('gzip');
    const plain = await page('identity');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(html);

    const revalidated = await page('br', { 'if-none-match': `W/${etag}` });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect((await page('br', { 'if-none-match': '"stale"' })).status).toBe(200);

    const assets = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((path) => /^\/graphiql\/graphiql\.[\w-]{16}\.js$/.test(path))).toBe(true);
    expect(html).toMatch(/\/graphiql\/graphql\.worker\.[\w-]{16}\.js/);
    for (const path of assets) {
      const asset = await fetch(`${stack.url}${path}`, { headers: { 'accept-encoding': 'br' } });
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      const again = await fetch(`${stack.url}${path}`, { headers: { 'if-none-match': asset.headers.get('etag')! } });
      expect(again.status, path).toBe(304);
    }
    expect((await fetch(`${stack.url}/graphiql/graphiql.0000000000000000.js`)).status).toBe(404);
  });
});

interface Visit {
  /** From navigation to a visible run button, by the page's own clock. */
  msToRunButton: number;
  /** Bytes on the wire (headers and encoded bodies) of every request the page made. */
  transferred: number;
  /** The same, for GraphiQL's own files only: the page and its assets (not the GraphQL requests). */
  graphiqlTransferred: number;
  /** GraphiQL's assets that came from the browser's cache, and those fetched. */
  assetsFromCache: number;
  assetsFetched: number;
  /** The paths of the assets fetched (not from the cache). */
  fetchedAssets: string[];
  requests: number;
  /** The GraphiQL page itself. */
  document: { status: number; encoding: string; etag: string; transferred: number };
}

/** Navigates `page` to `url` and measures, through the DevTools protocol, until GraphiQL's run button shows. */
async function visit(browser: BrowserContext, page: Page, url: string): Promise<Visit> {
  const cdp: CDPSession = await browser.newCDPSession(page);
  await cdp.send('Network.enable');
  const requests = new Map<string, { url: string; status: number; encoding: string; etag: string; fromCache: boolean }>();
  const sizes = new Map<string, number>();
  cdp.on('Network.responseReceived', (event) => {
    const headers = Object.fromEntries(Object.entries(event.response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
    requests.set(event.requestId, {
      url: event.response.url,
      status: event.response.status,
      encoding: headers['content-encoding'] ?? 'identity',
      etag: headers.etag ?? '',
      fromCache: Boolean(event.response.fromDiskCache || event.response.fromPrefetchCache),
    });
  });
  cdp.on('Network.requestServedFromCache', (event) => {
    const known = requests.get(event.requestId);
    if (known) known.fromCache = true;
  });
  cdp.on('Network.loadingFinished', (event) => sizes.set(event.requestId, event.encodedDataLength));
  await page.addInitScript(recordRunButton);
  await page.goto(url);
  await page.locator('.graphiql-execute-button').waitFor({ state: 'visible', timeout: 30_000 });
  // The page's own clock starts at navigation: no time of the test's remote control is in it.
  const msToRunButton = Math.round(await page.evaluate(() => (window as unknown as RunButtonWindow).runButtonShownAt ?? Number.NaN));
  // Let GraphiQL's own start-up requests (workers, introspection) finish before counting.
  await page.waitForLoadState('networkidle');
  await cdp.detach();
  const result: Visit = {
    msToRunButton,
    transferred: 0,
    graphiqlTransferred: 0,
    assetsFromCache: 0,
    assetsFetched: 0,
    fetchedAssets: [],
    requests: sizes.size,
    document: { status: 0, encoding: '', etag: '', transferred: 0 },
  };
  for (const [id, size] of sizes) {
    result.transferred += size;
    const request = requests.get(id);
    if (!request) continue;
    if (request.url === url && result.document.status === 0 && request.etag !== '') {
      result.document = { status: request.status, encoding: request.encoding, etag: request.etag, transferred: size };
      result.graphiqlTransferred += size;
    }
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/graphiql/')) {
      result.graphiqlTransferred += size;
      if (request.fromCache) result.assetsFromCache += 1;
      else {
        result.assetsFetched += 1;
        result.fetchedAssets.push(pathname);
      }
    }
  }
  if (result.document.status === 0) throw new Error(`no GraphiQL page among ${[...requests.values()].map((r) => r.url).join(', ')}`);
  return result;
}

interface RunButtonWindow {
  runButtonShownAt?: number;
}

/** Runs in the page before its own scripts: notes `performance.now()` (ms since navigation) when the run button is first rendered visible. */
function recordRunButton(): void {
  const shown = (): boolean => {
    const button = document.querySelector('.graphiql-execute-button');
    return button !== null && button.getClientRects().length > 0;
  };
  const observer = new MutationObserver(() => {
    if (shown()) {
      (window as unknown as RunButtonWindow).runButtonShownAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
}

function describeVisit(visit: Visit): string {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  return (
    `run button ${visit.msToRunButton} ms after navigation; page ${visit.document.status} ${visit.document.encoding} ${kb(visit.document.transferred)}; ` +
    `assets ${visit.assetsFetched} fetched, ${visit.assetsFromCache} from cache; GraphiQL files ${kb(visit.graphiqlTransferred)}; ` +
    `${visit.requests} requests, ${kb(visit.transferred)} transferred in all (with the GraphQL requests)`
  );
}

/** Visible text of a locator; the Monaco editor renders spaces as no-break spaces. */
async function text(locator: ReturnType<Page['locator']>): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator, not a DOM node; the rendered text is the point.
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}
