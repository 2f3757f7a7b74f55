import { GraphQLError } from 'graphql';
import {
  AuthenticationError,
  ConflictError,
  GatewayError,
  InvalidParameterError,
  NotFoundError,
  ThrottlingError,
  UnsupportedOperationError,
  UpstreamError,
} from '../errors.js';
import { builder } from './builder.js';

export const ErrorInterface = builder.interfaceRef<GatewayError>('Error').implement({
  description:
    'Every expected failure. Query `... on Error { message code requestId }` to handle them all, and the concrete types for their extra fields.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, for a human.' }),
    code: t.exposeString('code', {
      description:
        "A stable code to branch on: the upstream error code (`NotFound`, `InvalidApiKey`, `Throttling.RateQuota`, `InternalError`…) or the gateway's own (`InvalidParameter`, `MissingCredential`, `Timeout`, `BadUpstreamResponse`…).",
    }),
    requestId: t.exposeString('requestId', {
      nullable: true,
      description: "The upstream's `request_id` when the upstream answered: quote it in support tickets.",
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The requested fine-tuning job does not exist for this account (upstream HTTP 404).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
});

builder.objectType(InvalidParameterError, {
  name: 'InvalidParameterError',
  description:
    'An argument is invalid: rejected by the gateway before any upstream call, or by the upstream (HTTP 400 `InvalidParameter`).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidParameterError,
  fields: (t) => ({
    argument: t.exposeString('argument', {
      nullable: true,
      description: 'The argument at fault (e.g. `page.size`), when the gateway rejected it itself.',
    }),
  }),
});

builder.objectType(AuthenticationError, {
  name: 'AuthenticationError',
  description:
    'No usable credential: the upstream answered 401/403 (`InvalidApiKey`, `AccessDenied`), or, in forwarding mode, the caller sent no `Authorization: Bearer` header.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof AuthenticationError,
});

builder.objectType(ThrottlingError, {
  name: 'ThrottlingError',
  description: 'The upstream account is rate limited (HTTP 429, codes starting with `Throttling`).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ThrottlingError,
  fields: (t) => ({
    retryAfter: t.exposeInt('retryAfter', {
      nullable: true,
      description: 'Seconds to wait before trying again, when the upstream said so.',
    }),
  }),
});

builder.objectType(UpstreamError, {
  name: 'UpstreamError',
  description:
    'The upstream failed: HTTP 5xx, a timeout (`Timeout`), a refused or reset connection (`ConnectionRefused`, `ConnectionReset`), or a malformed reply (`BadUpstreamResponse`). Also when the gateway protected the upstream instead of calling it: too many calls waiting (`Overloaded`), or the upstream failing repeatedly (`CircuitOpen`).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof UpstreamError,
  fields: (t) => ({
    httpStatus: t.exposeInt('httpStatus', {
      nullable: true,
      description: "The upstream's HTTP status, when there was a response.",
    }),
  }),
});

builder.objectType(UnsupportedOperationError, {
  name: 'UnsupportedOperationError',
  description:
    "The job's current state does not allow the action (upstream HTTP 400 `UnsupportedOperation`), e.g. canceling a job that already finished. The upstream decides which states allow what; `message` is its explanation.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof UnsupportedOperationError,
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description:
    'The action conflicts with something that already exists (upstream HTTP 409 `Conflict`), or an `idempotencyKey` was used again with a different input (`IdempotencyKeyReused`).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
});

/** Errors any upstream-backed field can answer with. */
export const UPSTREAM_FIELD_ERRORS = [InvalidParameterError, AuthenticationError, ThrottlingError, UpstreamError];

/**
 * For fields without an error union (`_entities`, `node`, `fineTuneJobs`, `FineTuneJob.logs`,
 * `FineTuneJob.checkpoints`, the `fineTuneLogs` subscription): the field resolves to null with an
 * entry in `errors[]`. Our domain errors become GraphQLErrors carrying their stable code, the
 * upstream `request_id` and the error's extra fields in `extensions` (so masking lets them
 * through); anything else is a bug and is returned unchanged, to be masked.
 */
export function toFieldError(error: unknown): unknown {
  if (!(error instanceof GatewayError)) return error;
  const extensions: Record<string, unknown> = { code: error.code, requestId: error.requestId };
  if (error instanceof InvalidParameterError && error.argument !== null) extensions.argument = error.argument;
  if (error instanceof ThrottlingError && error.retryAfter !== null) extensions.retryAfter = error.retryAfter;
  if (error instanceof UpstreamError && error.httpStatus !== null) extensions.httpStatus = error.httpStatus;
  return new GraphQLError(error.message, { extensions });
}

/**
 * `_entities` has no error union: a representation that fails resolves to null with an error at
 * `_entities.N`, which is how federation routers expect a subgraph to report it.
 */
export const toEntityError = toFieldError;
