import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, Kind, type OperationDefinitionNode, getVariableValues } from 'graphql';
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
 *   `_entities` list of the wrong length;
 * - operations whose variables do not coerce: graphql-js reports those as a request error (HTTP
 *   400 per GraphQL over HTTP), graphql-jit as an execution result (HTTP 200).
 */
export function useCompiledExecution(): Plugin {
  const compilable = new WeakMap<DocumentNode, boolean>();
  return useGraphQlJit(
    {},
    {
      cache: new LRUCache({ max: COMPILED_OPERATIONS }),
      enableIf: ({ schema, document, operationName, variableValues }) => {
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
        if (!verdict) return false;
        const operation = selectOperation(document, operationName);
        if (!operation?.variableDefinitions?.length) return true;
        return getVariableValues(schema, operation.variableDefinitions, variableValues ?? {}).errors === undefined;
      },
    },
  ) as Plugin;
}

function selectOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName ? operations.find((operation) => operation.name?.value === operationName) : operations[0];
}
