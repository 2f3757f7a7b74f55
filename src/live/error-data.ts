import { AuthenticationError, type GatewayError, InvalidParameterError, NotFoundError, ThrottlingError, UpstreamError } from '../errors.js';

/** A domain error as plain data, to cross from the replica that polled to the others (JSON). */
export interface ErrorData {
  kind: string;
  message: string;
  code: string;
  requestId: string | null;
  retryAfter?: number | null;
  httpStatus?: number | null;
  argument?: string | null;
}

export function errorData(error: GatewayError): ErrorData {
  const data: ErrorData = { kind: error.kind, message: error.message, code: error.code, requestId: error.requestId };
  if (error instanceof ThrottlingError) data.retryAfter = error.retryAfter;
  if (error instanceof UpstreamError) data.httpStatus = error.httpStatus;
  if (error instanceof InvalidParameterError) data.argument = error.argument;
  return data;
}

/** The same domain error again; an unknown kind becomes an UpstreamError with its code. */
export function errorFromData(data: ErrorData): GatewayError {
  switch (data.kind) {
    case 'NotFound':
      return new NotFoundError(data.message, data.code, data.requestId);
    case 'Authentication':
      return new AuthenticationError(data.message, data.code, data.requestId);
    case 'Throttling':
      return new ThrottlingError(data.message, data.code, data.requestId, data.retryAfter ?? null);
    case 'InvalidParameter':
      return new InvalidParameterError(data.message, data.code, data.requestId, data.argument ?? null);
    default:
      return new UpstreamError(data.message, data.code, data.requestId, data.httpStatus ?? null);
  }
}
