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
    if (masked === error) return isDev ? masked : withoutInternals(masked);
    const errorId = randomUUID();
    // The id rides on the original error: the request's log line (telemetry/request-telemetry.ts)
    // reports it with the cause and stack, one error line per failing request.
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

// graphql-js's hint, e.g. ` Did you mean "size"?` in a variable coercion error.
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * An intended error as production shows it: no "Did you mean …?" hint (graphql-armor's
 * `blockFieldSuggestion` covers validation errors only, not variable coercion), and no
 * `originalError` in extensions (Yoga's request parser puts the JSON parser's SyntaxError there,
 * message and all). Changed in place: each such error belongs to one request, and Yoga treats the
 * same object as an intended error (its HTTP status kept, nothing logged at error level).
 */
function withoutInternals(error: GraphQLError): GraphQLError {
  if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
  const extensions = error.extensions as Record<string, unknown> | undefined;
  const original = Object.getOwnPropertyDescriptor(extensions ?? {}, 'originalError');
  if (extensions !== undefined && original?.enumerable === true && original.configurable === true) {
    // Kept, but not enumerable: never serialized, while Yoga still sees it (for a legacy
    // `application/json` client, an error with a non-GraphQL originalError answers 400, not 200).
    Object.defineProperty(extensions, 'originalError', { value: original.value, enumerable: false, configurable: true, writable: true });
  }
  return error;
}

function tag(error: unknown, errorId: string): boolean {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return false;
  Object.defineProperty(error, 'errorId', { value: errorId, enumerable: true, configurable: true });
  return true;
}

type YogaLogger = Extract<NonNullable<YogaServerOptions<object, object>['logging']>, { error: unknown }>;

/**
 * The logger Yoga itself writes to. Yoga logs every error it masks at `error` level; those (tagged
 * with an `errorId` above) are already on their request's log line, so here they go to `debug`.
 */
export function createYogaLogger(logger: Logger): YogaLogger {
  return {
    debug: (...args: unknown[]) => logger.debug(args.length === 1 ? args[0] : { args }),
    info: (...args: unknown[]) => logger.info(args.length === 1 ? args[0] : { args }),
    warn: (...args: unknown[]) => logger.warn(args.length === 1 ? args[0] : { args }),
    error: (...args: unknown[]) => {
      const [first] = args;
      if (args.length === 1 && typeof first === 'object' && first !== null && 'errorId' in first) {
        logger.debug({ err: first }, 'masked error (logged on its request line)');
        return;
      }
      logger.error(args.length === 1 ? first : { args });
    },
  };
}
