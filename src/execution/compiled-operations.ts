import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getOperationAST,
  getVariableValues,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** One operation of a validated document, compiled to JavaScript by graphql-jit. */
export interface CompiledOperation {
  /** The operation's own name (null when anonymous): what metrics and logs call it. */
  readonly name: string | null;
  readonly definition: OperationDefinitionNode;
  readonly compiled: CompiledQuery;
}

/** Documents whose compiled code is kept (least recently used beyond that are dropped). */
export const DEFAULT_MAX_COMPILED_DOCUMENTS = 500;
/** Operation names remembered per document (a document may hold many operations; each name is one compile). */
const MAX_OPERATIONS_PER_DOCUMENT = 16;

/**
 * The gateway's compiled operations: a plain query is compiled once per document and operation
 * name (graphql-jit's compiled code serves only the operation it was compiled for).
 *
 * Compiled only once earned: compiling costs far more than one graphql-js run (a fresh 5 KB
 * introspection document blocked the event loop for seconds), so the FIRST run of a document runs
 * on graphql-js and only its SECOND run compiles. A client sending a new text per request (or an
 * attacker) never pays, nor makes the gateway pay, for graphql-jit; the operations a client
 * repeats (the ones worth compiling) are compiled on their second request.
 *
 * Bounded: at most `maxDocuments` documents hold compiled code (an LRU over a Map: a hit moves the
 * document to the end, an insert past the bound drops the oldest). Documents seen once are only
 * marked in a WeakMap over the parsed documents Yoga's parser cache hands out, so the mark lives
 * as long as that (bounded) cache keeps the document.
 *
 * Not compiled (Yoga runs them on graphql-js, where graphql-jit 0.8 is wrong): subscriptions
 * (arguments are not passed to `subscribe`), mutations, and `_entities` (trailing null items of a
 * list whose last items fail asynchronously are dropped, and a federation router rejects an
 * `_entities` list of the wrong length), and documents with `@defer` or `@stream` (graphql-jit would
 * ignore the directives and answer everything at once; graphql-js delivers the parts incrementally).
 */
export class CompiledOperations {
  readonly #schema: GraphQLSchema;
  readonly #maxDocuments: number;
  readonly #onSize: (size: number) => void;
  /** Operation names of a document already run once on graphql-js. */
  readonly #seen = new WeakMap<DocumentNode, Set<string | null>>();
  /** Least recently used first. */
  readonly #byDocument = new Map<DocumentNode, Map<string | null, CompiledOperation | null>>();

  constructor(schema: GraphQLSchema, options: { maxDocuments?: number; onSize?: (size: number) => void } = {}) {
    this.#schema = schema;
    this.#maxDocuments = options.maxDocuments ?? DEFAULT_MAX_COMPILED_DOCUMENTS;
    this.#onSize = options.onSize ?? (() => {});
  }

  /** Documents holding compiled code now (at most `maxDocuments`). */
  get size(): number {
    return this.#byDocument.size;
  }

  /**
   * The compiled operation, or null when it must run on graphql-js: on its first run, when it
   * cannot be compiled (see above), or when it does not compile.
   */
  compiled(document: DocumentNode, operationName: string | null): CompiledOperation | null {
    let operations = this.#byDocument.get(document);
    if (operations !== undefined) {
      // Most recently used goes last.
      this.#byDocument.delete(document);
      this.#byDocument.set(document, operations);
      const operation = operations.get(operationName);
      if (operation !== undefined) return operation;
    }

    let seen = this.#seen.get(document);
    if (seen === undefined) {
      seen = new Set();
      this.#seen.set(document, seen);
    }
    if (!seen.has(operationName)) {
      // First run of this document and operation: graphql-js, nothing compiled.
      if (seen.size < MAX_OPERATIONS_PER_DOCUMENT) seen.add(operationName);
      return null;
    }

    if (operations === undefined) {
      operations = new Map();
      this.#byDocument.set(document, operations);
      if (this.#byDocument.size > this.#maxDocuments) this.#byDocument.delete(this.#byDocument.keys().next().value as DocumentNode);
      this.#onSize(this.#byDocument.size);
    }
    const operation = this.#compile(document, operationName);
    if (operations.size < MAX_OPERATIONS_PER_DOCUMENT) operations.set(operationName, operation);
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
    if (
      definition == null ||
      definition.operation !== 'query' ||
      queriesEntities(document, definition.selectionSet) ||
      deliversIncrementally(document)
    ) {
      return null;
    }
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

/** Whether the document uses `@defer` or `@stream` anywhere (operations or fragments). */
export function deliversIncrementally(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer' || node.name.value === 'stream') found = true;
    },
  });
  return found;
}
