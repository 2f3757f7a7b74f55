import { printSchema } from 'graphql';
import { createClientSchema, printSubgraphSdl } from './index.js';

/** The client-facing SDL, as committed in `schema/schema.graphql`. */
export function printClientSchema(): string {
  return `${printSchema(createClientSchema())}\n`;
}

/** The subgraph SDL (`_service { sdl }` of the default schema), as committed in `schema/subgraph.graphql`. */
export function printSubgraphSchemaFile(): string {
  return `${printSubgraphSdl()}\n`;
}
