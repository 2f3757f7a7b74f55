import { GraphQLDeferDirective, GraphQLStreamDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLSchema } from 'graphql';

/** What federation adds to a subgraph's served schema, for routers only. */
export const FEDERATION_ROOT_FIELDS = ['_entities', '_service'] as const;
export const FEDERATION_TYPES = ['_Any', '_Entity', '_Service'] as const;

/**
 * The client-facing API of a served subgraph schema: the same types and fields without the
 * federation internals (`_service`, `_entities`, `_Any`, `_Entity`, `_Service`). Clients may call
 * those fields, but they are the router's protocol, not part of the API.
 */
export function withoutFederationInternals(schema: GraphQLSchema): GraphQLSchema {
  const rootFields = new Set<string>(FEDERATION_ROOT_FIELDS);
  const types = new Set<string>(FEDERATION_TYPES);
  return mapSchema(schema, {
    [MapperKind.QUERY_ROOT_FIELD]: (field, fieldName) => (rootFields.has(fieldName) ? null : field),
    [MapperKind.TYPE]: (type) => (types.has(type.name) ? null : type),
  });
}

/** The schema with `@defer` and `@stream` declared (as the defer-stream plugin serves it). */
export function withIncrementalDelivery(schema: GraphQLSchema): GraphQLSchema {
  const missing = [GraphQLDeferDirective, GraphQLStreamDirective].filter((directive) => schema.getDirective(directive.name) === undefined);
  if (missing.length === 0) return schema;
  return new GraphQLSchema({ ...schema.toConfig(), directives: [...schema.getDirectives(), ...missing] });
}
