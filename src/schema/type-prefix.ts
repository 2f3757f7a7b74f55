import { printSubgraphSchema } from '@apollo/subgraph';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  type ASTNode,
  type GraphQLAbstractType,
  type GraphQLFieldConfigMap,
  type GraphQLNamedType,
  type GraphQLSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLUnionType,
  type GraphQLTypeResolver,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  visit,
} from 'graphql';
import { TYPE_PREFIX_PATTERN } from '../config.js';

/**
 * Interfaces whose name is a convention shared across subgraphs, never prefixed: Relay finds
 * refetchable objects through an interface named exactly `Node` (and same-named interfaces compose).
 */
const SHARED_INTERFACES: ReadonlySet<string> = new Set(['Node']);

/**
 * The named types this subgraph owns: everything it defines except the root type, entities (their
 * name is the federation contract other subgraphs reference), scalars (no fields, so same-named
 * scalars always compose), the Relay `Node` interface and the `_`/`__` types of federation and
 * introspection.
 */
export function ownedTypeNames(schema: GraphQLSchema): string[] {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  return Object.values(schema.getTypeMap())
    .filter(
      (type) =>
        !type.name.startsWith('_') &&
        !isScalarType(type) &&
        !roots.has(type as GraphQLObjectType) &&
        !isEntity(type) &&
        !SHARED_INTERFACES.has(type.name),
    )
    .map((type) => type.name)
    .sort();
}

/**
 * The same executable subgraph schema with `prefix` prepended to every owned type, for a supergraph
 * in which those names collide with another subgraph's. Resolvers, `__resolveType` results and the
 * `_service { sdl }` answer all follow the new names.
 */
export function prefixOwnedTypes(schema: GraphQLSchema, prefix: string): GraphQLSchema {
  if (!TYPE_PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`A type prefix must match ${TYPE_PREFIX_PATTERN} (got ${JSON.stringify(prefix)}).`);
  }
  const renames = new Map(ownedTypeNames(schema).map((name) => [name, `${prefix}${name}`]));
  for (const renamed of renames.values()) {
    if (schema.getType(renamed) !== undefined && !renames.has(renamed)) {
      throw new TypeError(`Type prefix ${JSON.stringify(prefix)} would rename a type to ${renamed}, which already exists.`);
    }
  }
  const rename = (name: string): string => renames.get(name) ?? name;

  let sdl: string | undefined;
  const prefixed = mapSchema(schema, {
    [MapperKind.TYPE]: (type) => renameType(type, rename),
    [MapperKind.QUERY_ROOT_FIELD]: (field, fieldName) =>
      // The plugin's `_service` answers the SDL it printed before the rename: print ours instead.
      fieldName === '_service' ? { ...field, resolve: () => ({ sdl: (sdl ??= printSubgraphSchema(prefixed)) }) } : field,
  });
  return prefixed;
}

function isEntity(type: GraphQLNamedType): boolean {
  return (isObjectType(type) || isInterfaceType(type)) && (type.astNode?.directives ?? []).some((d) => d.name.value === 'key');
}

/**
 * Renames one type and every type name its AST nodes mention: the subgraph SDL is printed from
 * the AST, and mapSchema rebuilds a type's node from its fields' nodes, so those are renamed too.
 */
function renameType(type: GraphQLNamedType, rename: (name: string) => string): GraphQLNamedType {
  const ast = <N extends ASTNode | null | undefined>(node: N): N => (node ? renameInAst(node, rename) : node);
  const named = <C extends NamedTypeConfig>(config: C): C => ({
    ...config,
    name: rename(config.name),
    astNode: ast(config.astNode),
    extensionASTNodes: config.extensionASTNodes?.map((node: ASTNode) => ast(node)),
  });
  const withAst = <F extends { astNode?: ASTNode | null | undefined }>(record: Record<string, F>): Record<string, F> =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, { ...value, astNode: ast(value.astNode) }]));
  const outputFields = (fields: GraphQLFieldConfigMap<unknown, unknown>) =>
    Object.fromEntries(Object.entries(withAst(fields)).map(([key, field]) => [key, { ...field, args: field.args && withAst(field.args) }]));

  if (isObjectType(type)) {
    const config = named(type.toConfig());
    return new GraphQLObjectType({ ...config, fields: outputFields(config.fields) });
  }
  if (isInterfaceType(type)) {
    const config = named(type.toConfig());
    return new GraphQLInterfaceType({
      ...config,
      fields: outputFields(config.fields),
      resolveType: renamedResolveType(config.resolveType, rename),
    });
  }
  if (isUnionType(type)) {
    const config = named(type.toConfig());
    return new GraphQLUnionType({ ...config, resolveType: renamedResolveType(config.resolveType, rename) });
  }
  if (isEnumType(type)) return new GraphQLEnumType(named(type.toConfig()));
  if (isInputObjectType(type)) {
    const config = named(type.toConfig());
    return new GraphQLInputObjectType({ ...config, fields: withAst(config.fields) });
  }
  return type;
}

interface NamedTypeConfig {
  name: string;
  astNode?: ASTNode | null | undefined;
  extensionASTNodes?: readonly ASTNode[] | null | undefined;
}

function renameInAst<T extends ASTNode>(node: T, rename: (name: string) => string): T {
  const leave = <N extends { name: { value: string } }>(named: N): N => ({
    ...named,
    name: { ...named.name, value: rename(named.name.value) },
  });
  return visit(node, {
    NamedType: { leave },
    ObjectTypeDefinition: { leave },
    ObjectTypeExtension: { leave },
    InterfaceTypeDefinition: { leave },
    InterfaceTypeExtension: { leave },
    UnionTypeDefinition: { leave },
    UnionTypeExtension: { leave },
    EnumTypeDefinition: { leave },
    EnumTypeExtension: { leave },
    InputObjectTypeDefinition: { leave },
    InputObjectTypeExtension: { leave },
  });
}

/** Pothos resolves abstract types to the names it built them with; map those to the new names. */
function renamedResolveType(
  resolveType: GraphQLTypeResolver<unknown, unknown> | null | undefined,
  rename: (name: string) => string,
): GraphQLTypeResolver<unknown, unknown> | undefined {
  if (!resolveType) return undefined;
  return (value, context, info, abstractType: GraphQLAbstractType) => {
    const resolved = resolveType(value, context, info, abstractType);
    const map = (name: string | undefined) => (name === undefined || info.schema.getType(name) ? name : rename(name));
    return isPromiseLike(resolved) ? resolved.then(map) : map(resolved);
  };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
