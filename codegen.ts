import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the operations in `test/operations/` (used by the tests, and the shape a
 * frontend would use). The schema is the checked-in SDL printed from the Pothos code.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  importExtension: '.js',
  generates: {
    'test/generated/': {
      preset: 'client',
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
