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
 * `_entities` stays on graphql-js: graphql-jit 0.8 drops trailing null items of a nullable list
 * whose last items fail asynchronously (test/entities.test.ts has the case), and a federation
 * router rejects an `_entities` list of the wrong length.
 */
export function useCompiledExecution(): Plugin {
  const usesEntities = new WeakMap<DocumentNode, boolean>();
  return useGraphQlJit(
    {},
    {
      cache: new LRUCache({ max: COMPILED_OPERATIONS }),
      enableIf: ({ document }) => {
        let entities = usesEntities.get(document);
        if (entities === undefined) {
          entities = document.definitions.some(
            (definition) =>
              definition.kind === Kind.OPERATION_DEFINITION &&
              definition.selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities'),
          );
          usesEntities.set(document, entities);
        }
        return !entities;
      },
    },
  ) as Plugin;
}
