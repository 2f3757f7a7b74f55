import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import autocannon from 'autocannon';
import { productionNodeFlags, startProcess, stopProcess } from './processes.js';
import { LIST_PAGES, aliasQuery, jobQuery, listQuery } from './queries.js';

/**
 * `npm run bench:profile`: runs the production gateway under `--cpu-prof` while autocannon loads
 * one scenario (BENCH_PROFILE_SCENARIO=list|single|aliases|distinct|pages, default list), then prints where the CPU time
 * went: self time by package / file and the hottest functions.
 */
const scenario = process.env.BENCH_PROFILE_SCENARIO ?? 'list';
const seconds = Number(process.env.BENCH_DURATION_S ?? 10);
const dir = 'bench/profiles';

execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const sim = await startProcess('simulator', ['dist/simulator/main.js'], {});
const simOrigin = `http://127.0.0.1:${sim.port}`;
const gateway = await startProcess('gateway', [...productionNodeFlags(), '--cpu-prof', `--cpu-prof-dir=${dir}`, 'dist/main.js'], {
  DASHSCOPE_BASE_URL: simOrigin,
  DASHSCOPE_API_KEY: 'sk-simulator-demo',
  NODE_ENV: 'production',
  // Exit at once on SIGTERM: the profile is written at exit, before stopProcess's kill.
  SHUTDOWN_DRAIN_MS: '0',
});
const runningIds = async (): Promise<string[]> => {
  const response = await fetch(`${simOrigin}/api/v1/fine-tunes?page_no=1&page_size=100`, {
    headers: { authorization: 'Bearer sk-simulator-demo' },
  });
  const body = (await response.json()) as { output: { jobs: { job_id: string; status: string }[] } };
  return body.output.jobs.filter((job) => !['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)).map((job) => job.job_id);
};
const queries: Record<string, () => Promise<string>> = {
  single: async () => jobQuery('ft-202410291653-1c7f'),
  list: async () => listQuery(1, 20),
  aliases: async () => aliasQuery(await runningIds()),
};
const query = scenario === 'distinct' || scenario === 'pages' ? '' : await (queries[scenario] ?? queries.list!)();
// `pages`: each request asks for another list page (as the benchmark's uncached list scenario), so no two share a call.
const pageQueries = LIST_PAGES.map(([number, size]) => listQuery(number, size));
let nextPage = 0;
// `distinct`: each connection asks for its own running job, so requests seldom share an upstream call.
const distinctIds = scenario === 'distinct' ? await runningIds() : [];
let nextClient = 0;
await new Promise((resolve, reject) =>
  autocannon(
    {
      url: `http://127.0.0.1:${gateway.port}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      ...(scenario === 'distinct'
        ? {
            setupClient: (client: { setBody(body: string): void }) => {
              const id = distinctIds[nextClient++ % distinctIds.length];
              client.setBody(JSON.stringify({ query: jobQuery(id as string) }));
            },
          }
        : {}),
      ...(scenario === 'pages'
        ? {
            requests: [
              {
                setupRequest: (request: autocannon.Request) => ({
                  ...request,
                  body: JSON.stringify({ query: pageQueries[nextPage++ % pageQueries.length] }),
                }),
              },
            ],
          }
        : {}),
      connections: 32,
      duration: seconds,
    },
    (error, result) => (error ? reject(error) : resolve(result)),
  ),
);
await stopProcess(gateway.child);
await stopProcess(sim.child);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const hitsById = new Map<number, number>();
for (const sample of profile.samples) hitsById.set(sample, (hitsById.get(sample) ?? 0) + 1);
const total = profile.samples.length;
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = hitsById.get(node.id) ?? 0;
  if (hits === 0) continue;
  const { url, functionName, lineNumber } = node.callFrame;
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.includes('/dist/')
      ? `ours: ${url.split('/dist/')[1]}`
      : url === ''
        ? `(${functionName || 'native'})`
        : url.replace(/^node:/, 'node:'));
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  const fn = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
}
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
console.log(`\nSelf time by package/file (${scenario}, ${total} samples):\n${top(byPackage, 25)}`);
console.log(`\nHottest functions:\n${top(byFunction, 30)}`);
