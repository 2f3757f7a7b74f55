import { printSchema } from 'graphql';
import { schema } from './index.js';

/** The client-facing SDL, as committed in `schema/schema.graphql`. */
export function printClientSchema(): string {
  return `${printSchema(schema)}\n`;
}
