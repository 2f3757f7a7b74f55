import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import TracingPlugin from '@pothos/plugin-tracing';
import type { Context } from '../context.js';
import { answersErrorUnion, reportErrorResults } from './error-results.js';

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
  // Tracing first: it wraps outermost, so it sees what the errors plugin made of a thrown error.
  // Federation last: it must see resolvers after plugins that wrap them (see its README).
  plugins: [TracingPlugin, ErrorsPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  errors: {
    // Only our domain error classes: an unexpected Error stays an (masked) execution error.
    defaultTypes: [],
    directResult: true,
  },
  tracing: {
    default: (field) => answersErrorUnion(field),
    wrap: (resolver) => reportErrorResults(resolver),
  },
});
