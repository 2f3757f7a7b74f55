import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/** Compiled operations kept; a frontend has a few dozen distinct operations. @default 1000 */
const COMPILED_OPERATIONS = 1000;

/**
 * Executes operations with graphql-jit: each distinct document is compiled once to JavaScript.
 * The CPU profile showed graphql-js's generic executor as the largest cost per request.
 *
 * Only plain queries are compiled; the rest stays on graphql-js, where graphql-jit 0.8 is wrong:
 * - subscriptions: it neither passes arguments nor applies variable defaults to `subscribe`;
 * - `_entities`: it drops trailing null items of a nullable list whose last items fail
 *   asynchronously (test/entities.test.ts has the case), and a federation router rejects an
 *   `_entities` list of the wrong length.
 */
export function useCompiledExecution(): Plugin {
  const compilable = new WeakMap<DocumentNode, boolean>();
  return useGraphQlJit(
    {},
    {
      cache: new LRUCache({ max: COMPILED_OPERATIONS }),
      enableIf: ({ document }) => {
        let verdict = compilable.get(document);
        if (verdict === undefined) {
          verdict = document.definitions.every(
            (definition) =>
              definition.kind !== Kind.OPERATION_DEFINITION ||
              (definition.operation === 'query' &&
                !definition.selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities')),
          );
          compilable.set(document, verdict);
        }
        return verdict;
      },
    },
  ) as Plugin;
}
