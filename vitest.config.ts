import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql@16 ships CJS (`main`) and ESM (`module`) copies. Node's ESM loader, which runs our
    // dependencies, picks the CJS one; make Vite pick the same so there is one `graphql` realm.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // GraphiQL's files, built once per installation (as `npm start` does at start-up).
    globalSetup: ['test/support/global-setup.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Every test talks to real sockets on 127.0.0.1; two cores, so keep the fan-out modest.
    pool: 'forks',
    maxWorkers: 2,
    // Hermetic: @apollo/gateway (the supergraph tests' router) phones home unless this is set.
    env: { APOLLO_TELEMETRY_DISABLED: 'true' },
  },
});
