import { typeBrandKey } from '@pothos/core';
import { type GraphQLFieldResolver, type GraphQLResolveInfo, getNamedType, isUnionType } from 'graphql';
import type { Context } from '../context.js';
import { GatewayError } from '../errors.js';

/** Fields declared with `errors:` (@pothos/plugin-errors) answer typed errors as union members. */
export function answersErrorUnion(field: { extensions?: Readonly<Record<string, unknown>> | null | undefined }): boolean {
  return field.extensions?.pothosErrors !== undefined;
}

/**
 * Wraps such a field (outside the errors plugin, so it sees the error as the field's value) and
 * tells the request's recorder which error type it answered: the log line and the error metrics
 * count `NotFoundError`s although the response has no `errors[]`.
 */
export function reportErrorResults(
  resolver: GraphQLFieldResolver<unknown, Context, Record<string, unknown>>,
): GraphQLFieldResolver<unknown, Context, Record<string, unknown>> {
  return async (source, args, context, info) => {
    const result: unknown = await resolver(source, args, context, info);
    const errorClass = answeredError(result);
    if (errorClass !== null) context.recorder.recordErrorResult(await typenameOf(result, errorClass, context, info));
    return result;
  };
}

/**
 * The errors plugin hands an error on as a proxy branded with its class (and whose prototype chain
 * is proxied, so `instanceof` does not see through it until GraphQL resolves the union).
 */
function answeredError(result: unknown): (abstract new (...args: never[]) => GatewayError) | null {
  if (typeof result !== 'object' || result === null) return null;
  const brand = (result as Record<symbol, unknown>)[typeBrandKey];
  return typeof brand === 'function' && brand.prototype instanceof GatewayError
    ? (brand as abstract new (
        ...args: never[]
      ) => GatewayError)
    : null;
}

/** The `__typename` GraphQL gives the error: asked of the union itself, so renamed types stay right. */
async function typenameOf(result: unknown, errorClass: { name: string }, context: Context, info: GraphQLResolveInfo): Promise<string> {
  const type = getNamedType(info.returnType);
  if (isUnionType(type) && type.resolveType) {
    const name = await type.resolveType(result, context, info, type);
    if (typeof name === 'string') return name;
  }
  return errorClass.name;
}
