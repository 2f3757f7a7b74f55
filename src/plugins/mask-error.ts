import { randomUUID } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError, type YogaServerOptions } from 'graphql-yoga';
import type { Logger } from '../logger.js';

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>['maskError']>;

/**
 * Yoga's masking (intended GraphQL errors pass, anything else becomes "Unexpected error."), plus an
 * `errorId` in the masked error's extensions and in the log line that holds the real error, so a
 * user's report can be matched to its cause without the cause ever reaching the client.
 */
export function createMaskError(logger: Logger): MaskError {
  return (error, message, isDev) => {
    // Yoga returns intended errors as they are, and a new GraphQLError for everything else.
    const masked = yogaMaskError(error, message, isDev) as GraphQLError;
    if (masked === error) return masked;
    const errorId = randomUUID();
    // Yoga logs the original error (cause, path, stack) at `error` level right after masking it;
    // the id rides on that error, so the log has one line per failure and it carries the id.
    if (!tag(error, errorId)) logger.error({ errorId, err: error }, 'unexpected error (masked for the client)');
    return createGraphQLError(masked.message, {
      nodes: masked.nodes,
      source: masked.source,
      positions: masked.positions,
      path: masked.path,
      extensions: { ...masked.extensions, errorId },
    });
  };
}

function tag(error: unknown, errorId: string): boolean {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return false;
  Object.defineProperty(error, 'errorId', { value: errorId, enumerable: true, configurable: true });
  return true;
}
