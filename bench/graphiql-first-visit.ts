/**
 * `npx tsx bench/graphiql-first-visit.ts`: the server's share of a first GraphiQL visit. Starts a
 * fresh gateway (`npm start`, the simulator), then times its first answer for the page and for the
 * page's script and styles (Brotli), as a browser asks for them on a first visit. Run it twice
 * against two versions to compare; the browser's own share is what `test/graphiql-browser.test.ts`
 * prints.
 */
import { spawn } from 'node:child_process';
import { freePort } from './processes.js';

const port = await freePort();
const child = spawn('npx', ['tsx', 'src/main.ts'], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore', detached: true });
const base = `http://127.0.0.1:${port}`;
try {
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${base}/health`);
      break;
    } catch (error) {
      if (attempt > 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const started = performance.now();
  const html = await (await fetch(`${base}/graphql`, { headers: { accept: 'text/html', 'accept-encoding': 'br' } })).text();
  const page = performance.now();
  const assets = [...html.matchAll(/"(\/graphiql\/graphiql\.[^"]+\.(?:js|css))"/g)].map((match) => match[1] as string);
  await Promise.all(assets.map(async (path) => (await fetch(base + path, { headers: { 'accept-encoding': 'br' } })).arrayBuffer()));
  const done = performance.now();
  console.log(`page after ${Math.round(page - started)} ms; page, script and styles after ${Math.round(done - started)} ms`);
} finally {
  if (child.pid !== undefined) process.kill(-child.pid);
}
