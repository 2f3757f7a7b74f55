import type { Context as TraceContext } from '@opentelemetry/api';
import type { UpstreamCallRecord, UpstreamCallRecorder } from '../upstream/layer.js';

export interface UnexpectedError {
  /** The field it broke, e.g. `fineTune.createdAt`. */
  path: string | null;
  type: string;
  message: string;
  stack: string | undefined;
  /** The error as reported in `errors[]`: masking tags it with the `errorId` the client was given (see `plugins/mask-error.ts`). */
  reported: Error;
}

/**
 * Everything one GraphQL HTTP request did, gathered while it runs and read once when it ends (the
 * request's log line, its span, the error metrics). Created by `useRequestTelemetry` when the
 * request arrives; the context hands it to the loaders and the client, the upstream
 * instrumentation layer and the schema's error-result hook write into it. Nothing reads it back
 * until the response is ready.
 */
export class RequestRecorder implements UpstreamCallRecorder {
  /** `performance.now()` when the request arrived. */
  readonly startedAt = performance.now();
  /** When execution began and ended (`performance.now()`); null for requests never executed. */
  executeStartedAt: number | null = null;
  executeEndedAt: number | null = null;
  operationName: string | null = null;
  operationType: string | null = null;
  traceContext: TraceContext | undefined;
  readonly upstreamCalls: UpstreamCallRecord[] = [];
  /** `__typename`s of the typed union errors resolved (`NotFoundError`…), one entry per field. */
  readonly errorResults: string[] = [];
  /** `extensions.code` of each `errors[]` entry (`GRAPHQL_VALIDATION_FAILED`, `INTERNAL_SERVER_ERROR`…). */
  readonly graphqlErrors: string[] = [];
  /** Bugs: what the client only sees masked as "Unexpected error.", with their stack for the log. */
  readonly unexpectedErrors: UnexpectedError[] = [];

  recordUpstreamCall(call: UpstreamCallRecord): void {
    this.upstreamCalls.push(call);
  }

  recordErrorResult(typename: string): void {
    this.errorResults.push(typename);
  }

  recordGraphQLError(code: string): void {
    this.graphqlErrors.push(code);
  }

  recordUnexpectedError(error: UnexpectedError): void {
    this.unexpectedErrors.push(error);
  }

  /** Distinct error types, union results first, in the order they happened. */
  errorTypes(): string[] {
    return [...new Set([...this.errorResults, ...this.graphqlErrors])];
  }

  /** Distinct upstream request ids, in call order. */
  upstreamRequestIds(): string[] {
    const ids = new Set<string>();
    for (const call of this.upstreamCalls) if (call.requestId !== null) ids.add(call.requestId);
    return [...ids];
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}
