/**
 * The child process behind `buildAssetsInChildProcess` (`graphiql-assets.ts`): builds GraphiQL's
 * compressed files under the cache root given as its argument (by default, the gateway's:
 * `node_modules/.cache/fine-tunes-gateway/graphiql`). Also a way to build them ahead of time, in a
 * container image for instance: `node dist/tools/build-graphiql-assets.js [cache root]`.
 */
import { assetsDirectory, defaultCacheRoot, writeAssets } from '../graphiql-assets.js';

await writeAssets(assetsDirectory(process.argv[2] || defaultCacheRoot()));
