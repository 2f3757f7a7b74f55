import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { type Plugin, makeExecute } from 'graphql-yoga';
import type { CompiledOperation, CompiledOperations } from '../execution/compiled-operations.js';

/**
 * Executes plain queries with graphql-jit: each distinct document and operation is compiled once to
 * JavaScript (the CPU profile showed graphql-js's generic executor as the largest cost per
 * request).
 *
 * Stays on graphql-js: what `CompiledOperations` does not compile, and operations whose variables do
 * not coerce (graphql-js reports those as a request error, HTTP 400 per GraphQL over HTTP;
 * graphql-jit as an execution result, HTTP 200).
 */
export function useCompiledExecution(known: CompiledOperations): Plugin {
  const compiledFor = new WeakMap<object, CompiledOperation>();
  const executeCompiled = makeExecute((args: ExecutionArgs) => {
    const operation = compiledFor.get(args.contextValue as object);
    if (operation === undefined) throw new Error('compiled execution without a compiled operation');
    return operation.compiled.query(args.rootValue, args.contextValue, args.variableValues ?? {}) as
      | ExecutionResult
      | Promise<ExecutionResult>;
  });
  return {
    onExecute({ args, setExecuteFn }) {
      const operation = known.compiled(args.document, args.operationName ?? null);
      if (operation === null || !known.variablesCoerce(operation, args.variableValues)) return;
      compiledFor.set(args.contextValue as object, operation);
      setExecuteFn(executeCompiled);
    },
  };
}
