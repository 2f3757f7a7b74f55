import { type DocumentNode, GraphQLError, Kind, type OperationDefinitionNode, type ValueNode, valueFromASTUntyped } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * `_entities` takes its representations as one list argument, so the validation-time limits (which
 * count fields and aliases) cannot see its cost: a router resolving a long list of references asks
 * for one upstream GET per distinct job id. This refuses, before execution and with no upstream
 * call, an `_entities` call over more distinct ids than `maxIds`.
 */
export function useEntitiesLimit(maxIds: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const field = entitiesField(args.document, args.operationName);
      if (field === undefined) return;
      const argument = field.arguments?.find((candidate) => candidate.name.value === 'representations');
      if (argument === undefined) return;
      const representations = valueOfNode(argument.value, args.variableValues ?? {});
      if (!Array.isArray(representations)) return;
      const ids = new Set<string>();
      for (const representation of representations) {
        const id = (representation as { id?: unknown } | null)?.id;
        ids.add(typeof id === 'string' ? id : JSON.stringify(representation));
      }
      if (ids.size <= maxIds) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`_entities asks for ${ids.size} distinct ids; at most ${maxIds} are allowed per call.`, {
            nodes: [field],
            extensions: { code: 'ENTITIES_LIMIT', limit: maxIds, found: ids.size, http: { status: 400 } },
          }),
        ],
      });
    },
  };
}

function entitiesField(document: DocumentNode, operationName: string | null | undefined) {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName),
  );
  return operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities') as
    | (OperationDefinitionNode['selectionSet']['selections'][number] & { kind: Kind.FIELD })
    | undefined;
}

function valueOfNode(node: ValueNode, variables: Record<string, unknown>): unknown {
  return node.kind === Kind.VARIABLE ? variables[node.name.value] : valueFromASTUntyped(node, variables);
}
