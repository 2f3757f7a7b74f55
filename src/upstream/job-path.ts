import { InvalidParameterError } from '../errors.js';

export const API_PREFIX = '/api/v1/fine-tunes';
/** Longer than any id the upstream generates (`ft-202410291653-1c7f` is 20 characters). */
export const MAX_JOB_ID_LENGTH = 128;
export const MAX_PAGE_SIZE = 100;
/** The most log lines one upstream call returns (`line`, documented maximum). */
export const MAX_LOG_LINES = 1000;

// Anything that could end the path segment, start a query or fragment, or be decoded into one by a
// proxy on the way: separators, percent-escapes, whitespace and control characters.
const UNSAFE_ID_CHARACTER = /[/\\?#%\s\p{Cc}]/u;

/** Throws InvalidParameterError unless `id` is exactly one safe path segment. */
export function assertSafeJobId(id: string): void {
  const problem =
    id.length === 0
      ? 'must not be empty'
      : id.length > MAX_JOB_ID_LENGTH
        ? `must be at most ${MAX_JOB_ID_LENGTH} characters (got ${id.length})`
        : id.includes('..') || id === '.'
          ? 'must not contain ".."'
          : UNSAFE_ID_CHARACTER.test(id)
            ? 'must not contain "/", "\\", "?", "#", "%", whitespace or control characters'
            : null;
  if (problem !== null) {
    throw new InvalidParameterError(`Argument "id" ${problem}.`, 'InvalidParameter', null, 'id');
  }
}

export function jobPath(id: string): string {
  assertSafeJobId(id);
  return `${API_PREFIX}/${encodeURIComponent(id)}`;
}

/** `POST` here creates a job. */
export const CREATE_PATH = API_PREFIX;

/** `POST` here cancels the job. */
export function cancelPath(id: string): string {
  return `${jobPath(id)}/cancel`;
}

export interface ListQuery {
  pageNumber: number;
  pageSize: number;
  model: string | null;
}

export function assertValidListQuery(query: ListQuery): void {
  if (!Number.isInteger(query.pageNumber) || query.pageNumber < 1) {
    throw new InvalidParameterError(
      `Argument "page.number" must be 1 or more (got ${query.pageNumber}).`,
      'InvalidParameter',
      null,
      'page.number',
    );
  }
  if (!Number.isInteger(query.pageSize) || query.pageSize < 1 || query.pageSize > MAX_PAGE_SIZE) {
    throw new InvalidParameterError(
      `Argument "page.size" must be between 1 and ${MAX_PAGE_SIZE} (got ${query.pageSize}).`,
      'InvalidParameter',
      null,
      'page.size',
    );
  }
  assertValidModelFilter(query.model);
}

/** The list's `model` filter: absent, or 1 to 256 characters. */
export function assertValidModelFilter(model: string | null): void {
  if (model !== null && (model.length === 0 || model.length > 256)) {
    throw new InvalidParameterError('Argument "model" must be 1 to 256 characters.', 'InvalidParameter', null, 'model');
  }
}

export function listPath(query: ListQuery): string {
  assertValidListQuery(query);
  const params = new URLSearchParams({ page_no: String(query.pageNumber), page_size: String(query.pageSize) });
  if (query.model !== null) params.set('model', query.model);
  return `${API_PREFIX}?${params.toString()}`;
}

/** Which log lines to read: `line` lines from position `offset` (0-based; the upstream skips `offset` lines). */
export interface LogRange {
  offset: number;
  line: number;
}

export function assertValidLogRange(range: LogRange): void {
  if (!Number.isSafeInteger(range.offset) || range.offset < 0) {
    throw new InvalidParameterError(`The log offset must be 0 or more (got ${range.offset}).`, 'InvalidParameter', null, 'after');
  }
  if (!Number.isInteger(range.line) || range.line < 1 || range.line > MAX_LOG_LINES) {
    throw new InvalidParameterError(
      `Argument "first" must be between 1 and ${MAX_LOG_LINES} (got ${range.line}).`,
      'InvalidParameter',
      null,
      'first',
    );
  }
}

export function logsPath(id: string, range: LogRange): string {
  assertValidLogRange(range);
  return `${jobPath(id)}/logs?offset=${range.offset}&line=${range.line}`;
}

export function checkpointsPath(id: string): string {
  return `${jobPath(id)}/checkpoints`;
}
