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
import { LRUCache } from 'lru-cache';

/** One operation of a validated document, compiled to JavaScript by graphql-jit. */
export interface CompiledOperation {
  /** The operation's own name (null when anonymous): what metrics and logs call it. */
  readonly name: string | null;
  readonly definition: OperationDefinitionNode;
  readonly compiled: CompiledQuery;
}

export interface KnownOperationsOptions {
  /** Documents remembered by their text. @default 1000 */
  maxDocuments?: number;
  /** Total characters of remembered texts. @default 4_000_000 */
  maxCharacters?: number;
}

/**
 * The gateway's compiled operations, and the documents it has already validated, by their text.
 *
 * - `compiled(document, operationName)` compiles a plain query once per document and operation
 *   name (graphql-jit's compiled code serves only the operation it was compiled for).
 * - `remember(text, document)` is called by the Yoga path once a document passed parsing, every
 *   limit and validation and ran as a compiled query; `lookup(text, operationName)` then finds its
 *   compiled operation without parsing or validating again. A document's validity depends on the
 *   text and the schema alone, and both are fixed for the life of the process.
 *
 * Not compiled (Yoga runs them on graphql-js, where graphql-jit 0.8 is wrong): subscriptions
 * (arguments are not passed to `subscribe`), mutations, and `_entities` (trailing null items of a
 * list whose last items fail asynchronously are dropped, and a federation router rejects an
 * `_entities` list of the wrong length).
 */
export class KnownOperations {
  readonly #schema: GraphQLSchema;
  readonly #byDocument = new WeakMap<DocumentNode, Map<string | null, CompiledOperation | null>>();
  readonly #byText: LRUCache<string, DocumentNode>;

  constructor(schema: GraphQLSchema, options: KnownOperationsOptions = {}) {
    this.#schema = schema;
    this.#byText = new LRUCache({
      max: options.maxDocuments ?? 1000,
      maxSize: options.maxCharacters ?? 4_000_000,
      sizeCalculation: (_document, text) => Math.max(1, text.length),
    });
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

  /** Records a document text that Yoga parsed and validated. */
  remember(text: string, document: DocumentNode): void {
    if (this.#byText.get(text) !== document) this.#byText.set(text, document);
  }

  /** The compiled operation of a document text seen valid before, or null (unknown text, or not compiled). */
  lookup(text: string, operationName: string | null): CompiledOperation | null {
    const document = this.#byText.get(text);
    return document === undefined ? null : this.compiled(document, operationName);
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
