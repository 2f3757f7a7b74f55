import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
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
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: {
    // Only our domain error classes: an unexpected Error stays an (masked) execution error.
    defaultTypes: [],
    directResult: true,
  },
});
