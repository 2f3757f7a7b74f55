import { createHash } from 'node:crypto';
import { InvalidParameterError } from '../errors.js';
import type { ListAnchor } from '../loaders/job-list-paging.js';
import { MAX_JOB_ID_LENGTH } from '../upstream/job-path.js';

/**
 * The cursors of `fineTuneJobs`: opaque to clients, an anchor (`loaders/job-list-paging.ts`) inside,
 * bound to the list's `model` filter. Only read back as data: a forged cursor can at worst point to
 * another place in the caller's own list.
 */

const VERSION = 1;
/** Far longer than any cursor made here (a 256-character model filter is kept as a digest). */
const MAX_CURSOR_LENGTH = 1024;
/** Larger than any list positions or lengths the cursors hold. */
const MAX_POSITION = 10_000_000;
const MAX_TIME_LENGTH = 64;

interface CursorPayload {
  v: number;
  i: string;
  t: string | null;
  r: number;
  p: number;
  n: number;
  m: string | null;
}

/** A short digest of the `model` filter (null: no filter). */
function filterDigest(model: string | null): string | null {
  return model === null ? null : createHash('sha256').update(model).digest('base64url').slice(0, 12);
}

export function encodeJobCursor(anchor: ListAnchor, model: string | null): string {
  const payload: CursorPayload = {
    v: VERSION,
    i: anchor.id,
    t: anchor.createTime,
    r: anchor.rank,
    p: anchor.position,
    n: anchor.total,
    m: filterDigest(model),
  };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The anchor in `cursor`, or an `InvalidParameterError` (code `InvalidCursor`) naming `argument`. */
export function decodeJobCursor(cursor: string, model: string | null, argument: 'after' | 'before'): ListAnchor {
  const invalid = (why: string) =>
    new InvalidParameterError(`Argument "${argument}" is not a cursor of this list (${why}).`, 'InvalidCursor', null, argument);
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('malformed');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed');
  }
  if (!isPayload(payload)) throw invalid('malformed');
  if (payload.m !== filterDigest(model)) throw invalid('it was made for a different `model` filter');
  return { id: payload.i, createTime: payload.t, rank: payload.r, position: payload.p, total: payload.n };
}

function isPayload(value: unknown): value is CursorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const payload = value as Record<string, unknown>;
  return (
    payload.v === VERSION &&
    typeof payload.i === 'string' &&
    payload.i.length > 0 &&
    payload.i.length <= MAX_JOB_ID_LENGTH &&
    (payload.t === null || (typeof payload.t === 'string' && payload.t.length <= MAX_TIME_LENGTH)) &&
    isCount(payload.r) &&
    isCount(payload.p) &&
    isCount(payload.n) &&
    (payload.m === null || (typeof payload.m === 'string' && payload.m.length <= 16))
  );
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_POSITION;
}
