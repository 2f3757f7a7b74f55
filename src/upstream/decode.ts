import {
  AuthenticationError,
  ConflictError,
  type GatewayError,
  InvalidParameterError,
  NotFoundError,
  ThrottlingError,
  UnsupportedOperationError,
  UpstreamError,
} from '../errors.js';
import type { UpstreamReply } from './layer.js';
import type { WireError, WireJob, WireJobPage, WireLogPage } from './wire.js';

export interface DecodedJob {
  requestId: string | null;
  job: WireJob;
}

export interface DecodedPage {
  requestId: string | null;
  pageNumber: number | null;
  pageSize: number | null;
  total: number | null;
  /** Raw entries: each one is checked by the mapper, so one odd job cannot fail the page. */
  jobs: unknown[];
}

export function decodeJob(reply: UpstreamReply): DecodedJob {
  const body = decodeSuccess(reply);
  const output = (body as { output?: unknown }).output;
  const job = output as WireJob | undefined;
  if (typeof job !== 'object' || job === null || typeof job.job_id !== 'string') {
    throw badResponse(reply, 'the reply has no output.job_id');
  }
  return { requestId: requestIdOf(body), job };
}

export function decodePage(reply: UpstreamReply): DecodedPage {
  const body = decodeSuccess(reply) as Partial<WireJobPage>;
  const output = body.output;
  if (typeof output !== 'object' || output === null || !Array.isArray(output.jobs)) {
    throw badResponse(reply, 'the reply has no output.jobs list');
  }
  return {
    requestId: requestIdOf(body),
    pageNumber: count(output.page_no),
    pageSize: count(output.page_size),
    total: count(output.total),
    jobs: output.jobs,
  };
}

export interface DecodedLogPage {
  requestId: string | null;
  total: number | null;
  /** One string per line, in order; never fewer entries than the upstream sent (positions stay true). */
  lines: string[];
}

export function decodeLogPage(reply: UpstreamReply, maxLines: number): DecodedLogPage {
  const body = decodeSuccess(reply) as Partial<WireLogPage>;
  const output = body.output;
  if (typeof output !== 'object' || output === null || !Array.isArray(output.logs)) {
    throw badResponse(reply, 'the reply has no output.logs list');
  }
  // A line that is not a string (the old docs typed it Integer) is shown as JSON rather than
  // dropped: dropping it would shift the position of every later line, and so every cursor.
  const lines = output.logs.slice(0, maxLines).map((line: unknown) => (typeof line === 'string' ? line : (JSON.stringify(line) ?? '')));
  return { requestId: requestIdOf(body), total: count(output.total), lines };
}

export interface DecodedCheckpoints {
  requestId: string | null;
  /** Raw entries: each one is checked by the mapper, so one odd entry cannot fail the list. */
  checkpoints: unknown[];
}

export function decodeCheckpoints(reply: UpstreamReply): DecodedCheckpoints {
  const body = decodeSuccess(reply);
  const output = (body as { output?: unknown }).output;
  if (!Array.isArray(output)) throw badResponse(reply, 'the reply has no output list');
  return { requestId: requestIdOf(body), checkpoints: output };
}

/**
 * The reply to an action without a job in it (cancel, delete: `{"output": {"status": "success"}}`):
 * its request id, or the error the vendor's table implies, `UnsupportedOperation` and `Conflict`
 * included. A 2xx that is no JSON object is a malformed reply.
 */
export function decodeAcknowledgement(reply: UpstreamReply): { requestId: string | null } {
  if (reply.status < 200 || reply.status > 299) throw errorFromReply(reply, ACTION_ERRORS);
  const body = parsedBody(reply);
  if (typeof body !== 'object' || body === null) throw badResponse(reply, 'the reply is not a JSON object');
  return { requestId: requestIdOf(body) };
}

/**
 * The reply to an export (`{"output": true}`): whether the upstream submitted it (`false`: it did
 * not, and nothing changed), or the error the vendor's table implies. Anything but a boolean
 * `output` is a malformed reply.
 */
export function decodeExportReceipt(reply: UpstreamReply): { requestId: string | null; submitted: boolean } {
  if (reply.status < 200 || reply.status > 299) throw errorFromReply(reply, ACTION_ERRORS);
  const body = parsedBody(reply);
  if (typeof body !== 'object' || body === null) throw badResponse(reply, 'the reply is not a JSON object');
  const output = (body as { output?: unknown }).output;
  if (typeof output !== 'boolean') throw badResponse(reply, 'the reply has no boolean output');
  return { requestId: requestIdOf(body), submitted: output };
}

/** `decodeJob` for the reply to an action (create): action errors are told apart. */
export function decodeActionJob(reply: UpstreamReply): DecodedJob {
  if (reply.status < 200 || reply.status > 299) throw errorFromReply(reply, ACTION_ERRORS);
  return decodeJob(reply);
}

/** Which errors only actions can meet: reads keep answering these as the errors their unions have. */
export interface ErrorMapping {
  /** 400 `UnsupportedOperation` -> UnsupportedOperationError (else InvalidParameterError). */
  unsupportedOperation: boolean;
  /** 409 -> ConflictError (else UpstreamError with httpStatus 409). */
  conflict: boolean;
}

const READ_ERRORS: ErrorMapping = { unsupportedOperation: false, conflict: false };
const ACTION_ERRORS: ErrorMapping = { unsupportedOperation: true, conflict: true };

/**
 * The upstream's `request_id` for a reply, success or not (body first, then the request-id
 * headers). Shares its parse with the decoders, so instrumentation costs no second JSON.parse.
 */
export function replyRequestId(reply: UpstreamReply): string | null {
  const body = parsedBody(reply);
  const fromBody = typeof body === 'object' && body !== null ? requestIdOf(body) : null;
  return fromBody ?? header(reply, 'x-request-id') ?? header(reply, 'x-dashscope-request-id') ?? null;
}

function decodeSuccess(reply: UpstreamReply): object {
  if (reply.status < 200 || reply.status > 299) throw errorFromReply(reply);
  const body = parsedBody(reply);
  if (typeof body !== 'object' || body === null) throw badResponse(reply, 'the reply is not a JSON object');
  return body;
}

/** Maps a non-2xx reply onto the domain error the vendor's error table implies. */
export function errorFromReply(reply: UpstreamReply, mapping: ErrorMapping = READ_ERRORS): GatewayError {
  const parsed = parsedBody(reply);
  const body: WireError = typeof parsed === 'object' && parsed !== null ? (parsed as WireError) : {};
  const requestId = requestIdOf(body) ?? header(reply, 'x-request-id') ?? header(reply, 'x-dashscope-request-id') ?? null;
  const code = typeof body.code === 'string' && body.code !== '' ? body.code : null;
  const message = safeMessage(body.message);
  const { status } = reply;

  if (status === 429 || code?.startsWith('Throttling')) {
    return new ThrottlingError(
      message ?? 'The upstream is throttling requests; retry later.',
      code ?? 'Throttling',
      requestId,
      retryAfterSeconds(header(reply, 'retry-after')),
    );
  }
  if (status === 401 || status === 403) {
    return new AuthenticationError(
      message ?? 'The upstream rejected the credential.',
      code ?? (status === 401 ? 'InvalidApiKey' : 'AccessDenied'),
      requestId,
    );
  }
  if (status === 404) return new NotFoundError(message ?? 'Not found.', code ?? 'NotFound', requestId);
  if (status === 400 && mapping.unsupportedOperation && code === 'UnsupportedOperation') {
    return new UnsupportedOperationError(message ?? 'The job is in a state that does not allow this.', code, requestId);
  }
  if (status === 409 && mapping.conflict)
    return new ConflictError(message ?? 'The request conflicts with an existing resource.', code ?? 'Conflict', requestId);
  if (status === 400)
    return new InvalidParameterError(message ?? 'The upstream rejected a parameter.', code ?? 'InvalidParameter', requestId);
  return new UpstreamError(message ?? `The upstream answered HTTP ${status}.`, code ?? `HTTP_${status}`, requestId, status);
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date); null when absent or odd. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds) : null;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : null;
}

function badResponse(reply: UpstreamReply, why: string): UpstreamError {
  const parsed = parsedBody(reply);
  const requestId = typeof parsed === 'object' && parsed !== null ? requestIdOf(parsed) : null;
  return new UpstreamError(`The upstream sent a malformed reply: ${why}.`, 'BadUpstreamResponse', requestId, reply.status);
}

const parsedBodies = new WeakMap<UpstreamReply, unknown>();

/** The reply body as JSON (undefined when it is not JSON), parsed at most once per reply. */
function parsedBody(reply: UpstreamReply): unknown {
  if (parsedBodies.has(reply)) return parsedBodies.get(reply);
  const parsed = parseJson(reply.body);
  parsedBodies.set(reply, parsed);
  return parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function requestIdOf(body: object): string | null {
  const id = (body as { request_id?: unknown }).request_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

function header(reply: UpstreamReply, name: string): string | undefined {
  const value = reply.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The upstream's short `message`, never a raw body (an HTML page, a stack trace). */
function safeMessage(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 300 && !value.includes('<') ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}
