import { assetsDirectory, buildAssetsInChildProcess, defaultCacheRoot, readManifest } from '../../src/graphiql-assets.js';

/**
 * Once before the suite, as `npm start` does at start-up: GraphiQL's compressed files, in the
 * default place. On a fresh clone that build would otherwise fall to whichever test first fetches
 * the GraphiQL page, at a low CPU priority on a machine the suite keeps busy (over 20 s in CI).
 * The build itself is tested from scratch, into fresh directories, by `graphiql-assets.test.ts`
 * and `start.test.ts`.
 */
export default async function setup(): Promise<void> {
  const root = defaultCacheRoot();
  if ((await readManifest(assetsDirectory(root))) === undefined) await buildAssetsInChildProcess(root);
}
