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

/** Throws InvalidParameterError unless `id` is exactly one safe path segment (`argument` names it). */
export function assertSafeJobId(id: string, argument = 'id'): void {
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
    throw new InvalidParameterError(`Argument "${argument}" ${problem}.`, 'InvalidParameter', null, argument);
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

/** What an export names: a checkpoint of the job and the display name of the model it becomes. */
export interface ExportTarget {
  /** `checkpoint-{step}`, as the checkpoint list names it (`FineTuneCheckpoint.checkpoint`). */
  checkpoint: string;
  /** The console's display name (`model_name`), not the deployable id. */
  modelName: string;
}

export const MAX_CHECKPOINT_NAME_LENGTH = 128;
export const MAX_EXPORT_MODEL_NAME_LENGTH = 128;
const CHECKPOINT_NAME = /^[A-Za-z0-9._-]+$/;
/** The vendor: letters, digits, `_` and `-`. */
const EXPORT_MODEL_NAME = /^[\p{L}\p{N}_-]+$/u;

/** Throws InvalidParameterError (arguments `input.checkpoint`, `input.modelName`) unless both can be sent. */
export function assertValidExportTarget(target: ExportTarget): void {
  const { checkpoint, modelName } = target;
  if (
    checkpoint.length === 0 ||
    checkpoint.length > MAX_CHECKPOINT_NAME_LENGTH ||
    !CHECKPOINT_NAME.test(checkpoint) ||
    checkpoint.includes('..')
  ) {
    throw new InvalidParameterError(
      `Argument "input.checkpoint" must be a checkpoint name such as "checkpoint-160": 1 to ${MAX_CHECKPOINT_NAME_LENGTH} letters, digits, ".", "_" or "-".`,
      'InvalidParameter',
      null,
      'input.checkpoint',
    );
  }
  if (modelName.length === 0 || modelName.length > MAX_EXPORT_MODEL_NAME_LENGTH || !EXPORT_MODEL_NAME.test(modelName)) {
    throw new InvalidParameterError(
      `Argument "input.modelName" must be 1 to ${MAX_EXPORT_MODEL_NAME_LENGTH} letters, digits, "_" or "-".`,
      'InvalidParameter',
      null,
      'input.modelName',
    );
  }
}

/** `GET` here exports the checkpoint (a GET that changes state: never repeated, never shared). */
export function exportPath(id: string, target: ExportTarget): string {
  assertValidExportTarget(target);
  return `${jobPath(id)}/export/${encodeURIComponent(target.checkpoint)}?model_name=${encodeURIComponent(target.modelName)}`;
}
