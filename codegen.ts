import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

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
 *   loads with `PERSISTED_OPERATIONS_MANIFEST`. `__typename` is added to every selection set, as
 *   Apollo Client adds it to what it sends: a document run by id must answer what its cache asks.
 * - `possible-types.ts` next to each: the union and interface members (`possibleTypes`), without
 *   which Apollo Client's cache drops the fields of `... on Error`.
 */
/** Apollo Client's `possibleTypes` (the version 3 shape is what Apollo Client 4 reads too). */
const possibleTypes: CodegenConfig['generates'][string] = {
  plugins: ['fragment-matcher'],
  config: { apolloClientVersion: 3, useExplicitTyping: true, deterministic: true },
};

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
    'test/generated/possible-types.ts': possibleTypes,
    'examples/generated/': {
      documents: ['examples/operations/**/*.graphql'],
      preset: 'client',
      config: typedDocuments,
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      documentTransforms: [addTypenameSelectionDocumentTransform],
    },
    'examples/generated/possible-types.ts': possibleTypes,
  },
};

export default config;
