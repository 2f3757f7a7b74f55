import { printSubgraphSchema } from '@apollo/subgraph';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { withIncrementalDelivery, withoutFederationInternals } from './client-schema.js';
import { inDeclarationOrder } from './declaration-order.js';
import { prefixOwnedTypes } from './type-prefix.js';
import './query.js';
import './subscription.js';
import './mutation.js';
import './scalars.js';
import './errors.js';
import './job.js';
import './connection.js';
import './job-connection.js';
import './job-status.js';
import './job-logs.js';
import './checkpoint.js';
import './log-tail.js';
import './node-query.js';

/** The Federation spec the subgraph SDL links. `@key` needs nothing newer; raise it with the first newer directive. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

export interface SchemaOptions {
  /**
   * Prepended to the name of every type this subgraph owns (`ownedTypeNames`: the error types,
   * unions, connection types, enum and inputs) in the served schema and its subgraph SDL, for a
   * supergraph where those names collide. `FineTuneJob`, `Query` and the scalars keep their names.
   * @default ""
   */
  typePrefix?: string;
}

const built = new Map<string, GraphQLSchema>();

/**
 * The executable Federation v2 subgraph schema served at /graphql: the client API plus
 * `_service { sdl }` and `_entities`. Built once per process for each prefix.
 */
export function createSchema(options: SchemaOptions = {}): GraphQLSchema {
  const prefix = options.typePrefix ?? '';
  let schema = built.get(prefix);
  if (schema === undefined) {
    const subgraph = inDeclarationOrder(
      builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL }),
      builder.toSchema({ sortSchema: false }),
    );
    schema = prefix === '' ? withOwnServiceSdl(subgraph) : prefixOwnedTypes(subgraph, prefix);
    built.set(prefix, schema);
  }
  return schema;
}

/**
 * `_service { sdl }` answers what `printSubgraphSdl` prints (and `schema/subgraph.graphql` holds):
 * the federation plugin prints its own, which lists input fields in another order.
 */
function withOwnServiceSdl(subgraph: GraphQLSchema): GraphQLSchema {
  let sdl: string | undefined;
  const served: GraphQLSchema = mapSchema(subgraph, {
    [MapperKind.QUERY_ROOT_FIELD]: (field, fieldName) =>
      fieldName === '_service' ? { ...field, resolve: () => ({ sdl: (sdl ??= printSubgraphSchema(served)) }) } : field,
  });
  return served;
}

/** The default schema (the contract's type names). */
export const schema = createSchema();

/**
 * The client-facing API of a served schema, as `schema/schema.graphql` records it: no federation
 * internals, and the `@defer` and `@stream` directives the gateway serves (added to the served
 * schema by Yoga's defer-stream plugin; declared here so clients' code generators accept them).
 */
export function createClientSchema(served: GraphQLSchema = schema): GraphQLSchema {
  return withIncrementalDelivery(withoutFederationInternals(served));
}

/** The subgraph SDL with its federation directives: what `_service { sdl }` answers. */
export function printSubgraphSdl(subgraph: GraphQLSchema = schema): string {
  return printSubgraphSchema(subgraph);
}
