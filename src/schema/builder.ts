import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import type { Context } from '../context.js';

export interface SchemaTypes {
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}

/** Plugins and generics only: the types live in one file per type family next to this one. */
export const builder = new SchemaBuilder<SchemaTypes>({
  // Federation last: it must see resolvers after plugins that wrap them (see its README).
  plugins: [ErrorsPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  errors: {
    // Only our domain error classes: an unexpected Error stays an (masked) execution error.
    defaultTypes: [],
    directResult: true,
  },
});
