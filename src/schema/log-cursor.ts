import { InvalidParameterError } from '../errors.js';

/**
 * A log line's cursor: opaque to clients, today the line's position (`log:<offset>`, base64url).
 * Positions never change (the upstream's log only grows), so a cursor stays valid for the job's life.
 */
export function encodeLogCursor(offset: number): string {
  return Buffer.from(`log:${offset}`, 'utf8').toString('base64url');
}

const LOG_CURSOR = /^log:(0|[1-9]\d{0,14})$/;

/** The position a cursor names; an `InvalidParameterError` for anything that is not one of ours. */
export function decodeLogCursor(cursor: string, argument = 'after'): number {
  const text = cursor.length <= 40 && /^[A-Za-z0-9_-]*$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = LOG_CURSOR.exec(text);
  if (match === null) {
    throw new InvalidParameterError(
      `Argument "${argument}" is not a log cursor: pass a \`cursor\` from a FineTuneLogLine or FineTuneLogEdge.`,
      'InvalidParameter',
      null,
      argument,
    );
  }
  return Number(match[1]);
}

/** The position after `after` (the first line to send): 0 without a cursor. */
export function positionAfter(after: string | null | undefined): number {
  return after === null || after === undefined ? 0 : decodeLogCursor(after) + 1;
}
