import type { CodegenConfig } from '@graphql-codegen/cli';

const typedDocuments = {
  scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
  enumsAsTypes: true,
  useTypeImports: true,
};

/**
 * Typed documents (`TypedDocumentNode`) from the checked-in SDL printed from the Pothos code:
 * - `test/operations/` -> `test/generated/`, used by the tests;
 * - `examples/operations/` -> `examples/generated/`, an example frontend's operations, plus
 *   `persisted-documents.json`: the trusted-documents manifest (SHA-256 -> document) the gateway
 *   loads with `PERSISTED_OPERATIONS_MANIFEST`.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  ignoreNoDocuments: false,
  importExtension: '.js',
  generates: {
    'test/generated/': {
      documents: ['test/operations/**/*.graphql'],
      preset: 'client',
      config: typedDocuments,
      presetConfig: { fragmentMasking: false },
    },
    'examples/generated/': {
      documents: ['examples/operations/**/*.graphql'],
      preset: 'client',
      config: typedDocuments,
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
    },
  },
};

export default config;
