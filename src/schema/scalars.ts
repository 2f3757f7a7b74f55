import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import { builder } from './builder.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): string {
  if (typeof value === 'string' && ISO_DATE_TIME.test(value) && Number.isFinite(Date.parse(value))) return value;
  throw new GraphQLError(`DateTime must be an ISO-8601 date-time with an offset, got ${JSON.stringify(value)}`);
}

builder.scalarType('DateTime', {
  description:
    'An ISO-8601 date-time with a UTC offset, e.g. `2024-10-29T16:53:53+08:00`. Upstream times carry no zone; the gateway reads them in `DASHSCOPE_UTC_OFFSET` and keeps that offset.',
  // Values are produced already formatted by the mapper, which keeps the configured offset.
  serialize: (value) => value as string,
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value, as the upstream sent it (objects, arrays, strings, numbers, booleans, null).',
  specifiedByURL: 'https://www.ecma-international.org/publications-and-standards/standards/ecma-404/',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});
