/**
 * Domain errors. Each class is exposed as a GraphQL type by `schema/errors.ts` (via
 * @pothos/plugin-errors); anything that is not one of these is an unexpected bug and is masked.
 * Branch on `code`, never on message text.
 */
export abstract class GatewayError extends Error {
  abstract readonly kind: string;
  /** Upstream error code (e.g. `NotFound`, `Throttling.RateQuota`) or one of ours. */
  readonly code: string;
  /** The upstream `request_id`, when the upstream answered. */
  readonly requestId: string | null;

  constructor(message: string, code: string, requestId: string | null = null, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.requestId = requestId;
  }
}

export class NotFoundError extends GatewayError {
  override name = 'NotFoundError';
  readonly kind = 'NotFound';
}

export class InvalidParameterError extends GatewayError {
  override name = 'InvalidParameterError';
  readonly kind = 'InvalidParameter';
  /** The argument at fault, when the gateway itself rejected the input. */
  readonly argument: string | null;
  constructor(message: string, code = 'InvalidParameter', requestId: string | null = null, argument: string | null = null) {
    super(message, code, requestId);
    this.argument = argument;
  }
}

export class AuthenticationError extends GatewayError {
  override name = 'AuthenticationError';
  readonly kind = 'Authentication';
}

export class ThrottlingError extends GatewayError {
  override name = 'ThrottlingError';
  readonly kind = 'Throttling';
  /** Seconds the caller should wait before retrying, when known. */
  readonly retryAfter: number | null;
  constructor(message: string, code: string, requestId: string | null, retryAfter: number | null) {
    super(message, code, requestId);
    this.retryAfter = retryAfter;
  }
}

export class UpstreamError extends GatewayError {
  override name = 'UpstreamError';
  readonly kind = 'Upstream';
  /** The upstream HTTP status, when there was a response. */
  readonly httpStatus: number | null;
  constructor(message: string, code: string, requestId: string | null, httpStatus: number | null, options?: ErrorOptions) {
    super(message, code, requestId, options);
    this.httpStatus = httpStatus;
  }
}

/** The job's current state does not allow the action (upstream HTTP 400 `UnsupportedOperation`). */
export class UnsupportedOperationError extends GatewayError {
  override name = 'UnsupportedOperationError';
  readonly kind = 'UnsupportedOperation';
}

/**
 * The action conflicts with something that exists (upstream HTTP 409 `Conflict`), or an
 * `idempotencyKey` was used again with a different input (`IdempotencyKeyReused`).
 */
export class ConflictError extends GatewayError {
  override name = 'ConflictError';
  readonly kind = 'Conflict';
}
