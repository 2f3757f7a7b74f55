import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getOperationAST,
  getVariableValues,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** One operation of a validated document, compiled to JavaScript by graphql-jit. */
export interface CompiledOperation {
  /** The operation's own name (null when anonymous): what metrics and logs call it. */
  readonly name: string | null;
  readonly definition: OperationDefinitionNode;
  readonly compiled: CompiledQuery;
}

/**
 * The gateway's compiled operations: a plain query is compiled once per document and operation
 * name (graphql-jit's compiled code serves only the operation it was compiled for). Documents are
 * the parsed ones Yoga's parser cache hands out, so an entry lives as long as that cache keeps
 * its document (a WeakMap: no second bound to tune).
 *
 * Not compiled (Yoga runs them on graphql-js, where graphql-jit 0.8 is wrong): subscriptions
 * (arguments are not passed to `subscribe`), mutations, and `_entities` (trailing null items of a
 * list whose last items fail asynchronously are dropped, and a federation router rejects an
 * `_entities` list of the wrong length).
 */
export class CompiledOperations {
  readonly #schema: GraphQLSchema;
  readonly #byDocument = new WeakMap<DocumentNode, Map<string | null, CompiledOperation | null>>();

  constructor(schema: GraphQLSchema) {
    this.#schema = schema;
  }

  /** The compiled operation, or null when it must run on graphql-js (see above) or does not compile. */
  compiled(document: DocumentNode, operationName: string | null): CompiledOperation | null {
    let operations = this.#byDocument.get(document);
    if (operations === undefined) {
      operations = new Map();
      this.#byDocument.set(document, operations);
    }

    let operation = operations.get(operationName);
    if (operation === undefined) {
      operation = this.#compile(document, operationName);
      operations.set(operationName, operation);
    }
    return operation;
  }

  /** Whether these variables coerce; when they don't, graphql-js must answer (a request error, HTTP 400). */
  variablesCoerce(operation: CompiledOperation, variables: Record<string, unknown> | null | undefined): boolean {
    const definitions = operation.definition.variableDefinitions;
    if (definitions === undefined || definitions.length === 0) return true;
    return getVariableValues(this.#schema, definitions, variables ?? {}).errors === undefined;
  }

  #compile(document: DocumentNode, operationName: string | null): CompiledOperation | null {
    const definition = getOperationAST(document, operationName);
    if (definition == null || definition.operation !== 'query' || queriesEntities(document, definition.selectionSet)) return null;
    const compiled = compileQuery(this.#schema, document, operationName ?? undefined);
    if (!isCompiledQuery(compiled)) return null;
    return { name: definition.name?.value ?? null, definition, compiled };
  }
}

/** Whether a root selection set reaches `_entities`, directly or through fragments. */
function queriesEntities(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): boolean {
  return selectionSet.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === '_entities';
    if (selection.kind === Kind.INLINE_FRAGMENT) return queriesEntities(document, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return false;
    seen.add(name);
    const fragment = document.definitions.find(
      (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === name,
    );
    return fragment !== undefined && queriesEntities(document, fragment.selectionSet, seen);
  });
}
