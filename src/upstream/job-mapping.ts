import { type FineTuneJob, type HyperParameters, isTerminalStatus, toStatus } from '../model/fine-tune-job.js';
import type { WireJob } from './wire.js';

/**
 * The one place a wire job becomes the gateway's model (`model/fine-tune-job.ts`): the client maps
 * every job it returns here, so loaders, list pages, the status hub and the cache only ever see models.
 */

/** True when `value` looks enough like a job to be mapped (an object with a string id). */
export function isWireJob(value: unknown): value is WireJob {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { job_id?: unknown }).job_id === 'string' &&
    (value as { job_id: string }).job_id !== ''
  );
}

export function toFineTuneJob(wire: WireJob, utcOffset: string): FineTuneJob {
  const rawStatus = str(wire.status) ?? '';
  const status = toStatus(rawStatus);
  const createTime = str(wire.create_time);
  const endTime = str(wire.end_time);
  const createdAt = createTime === null ? null : toIsoDateTime(createTime, utcOffset);
  const endedAt = endTime === null ? null : toIsoDateTime(endTime, utcOffset);
  return {
    id: wire.job_id,
    jobName: str(wire.job_name),
    status,
    rawStatus,
    finetunedOutput: str(wire.finetuned_output),
    model: str(wire.model) ?? str(wire.base_model) ?? '',
    baseModel: str(wire.base_model),
    trainingFileIds: strList(wire.training_file_ids),
    validationFileIds: strList(wire.validation_file_ids),
    hyperParameters: toHyperParameters(wire.hyper_parameters),
    trainingType: str(wire.training_type),
    createTime,
    endTime,
    createdAt,
    endedAt,
    durationSeconds: secondsBetween(createdAt, endedAt),
    isTerminal: isTerminalStatus(status),
    workspaceId: str(wire.workspace_id),
    userIdentity: str(wire.user_identity),
    modifier: str(wire.modifier),
    creator: str(wire.creator),
    group: str(wire.group),
    usage: int(wire.usage),
    outputCnt: int(wire.output_cnt),
    maxOutputCnt: int(wire.max_output_cnt),
  };
}

/**
 * `toFineTuneJob`, once per wire object. Wire objects are shared request after request: the
 * finished-job cache keeps them, and callers joining one in-flight upstream call (a dashboard's
 * list page) all get the same parsed reply. Mapped jobs are immutable values, so sharing them is
 * safe; an entry lives exactly as long as its wire object.
 */
export function mapOnce(wire: WireJob, utcOffset: string): FineTuneJob {
  const hit = mapped.get(wire);
  if (hit !== undefined && hit.utcOffset === utcOffset) return hit.job;
  const job = toFineTuneJob(wire, utcOffset);
  mapped.set(wire, { utcOffset, job });
  return job;
}

const mapped = new WeakMap<WireJob, { utcOffset: string; job: FineTuneJob }>();

function toHyperParameters(value: unknown): HyperParameters | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const raw = value as Record<string, unknown>;
  return {
    nEpochs: int(raw.n_epochs),
    batchSize: int(raw.batch_size),
    maxLength: int(raw.max_length),
    learningRate: float(raw.learning_rate),
    lrSchedulerType: str(raw.lr_scheduler_type),
    split: float(raw.split),
    raw,
  };
}

const ZONELESS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads the upstream's zone-less `2024-10-29 16:53:53` in `utcOffset` and prints it as ISO-8601
 * with that offset. A value that already carries a zone is kept; anything else is null.
 */
export function toIsoDateTime(value: string, utcOffset: string): string | null {
  const trimmed = value.trim();
  const match = ZONELESS.exec(trimmed);
  const iso = match ? `${match[1]}T${match[2]}${match[3] ?? ''}${utcOffset}` : ZONED.test(trimmed) ? trimmed : null;
  return iso !== null && Number.isFinite(Date.parse(iso)) ? iso : null;
}

function secondsBetween(start: string | null, end: string | null): number | null {
  if (start === null || end === null) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 1000) : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function strList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

const INT32_MAX = 2 ** 31 - 1;

/** A GraphQL Int, or null: numeric strings are accepted, fractions and out-of-range values are not. */
function int(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && Math.abs(number) <= INT32_MAX ? number : null;
}

/** `learning_rate` arrives as `"1.6e-5"` or as a number. */
function float(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
}
