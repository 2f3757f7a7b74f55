import type { FineTuneCheckpoint } from '../model/fine-tune-checkpoint.js';
import { toIsoDateTime } from './job-mapping.js';

/**
 * The one place a wire checkpoint (`wire.ts` `WireCheckpoint`) becomes the gateway's model: each
 * field checked, a wrong type null. An entry with nothing to identify it by is no checkpoint (null).
 */
export function toFineTuneCheckpoint(value: unknown, jobId: string, utcOffset: string): FineTuneCheckpoint | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const wire = value as Record<string, unknown>;
  const checkpoint = str(wire.checkpoint);
  const fullName = str(wire.full_name);
  const id = str(wire.checkpoint_id) ?? fullName ?? (checkpoint === null ? null : `${str(wire.job_id) ?? jobId}:${checkpoint}`);
  if (id === null || id === '') return null;
  const createTime = str(wire.create_time);
  const expireTime = str(wire.expire_time);
  return {
    id,
    step: int(wire.step),
    status: str(wire.status) ?? 'UNKNOWN',
    checkpoint,
    modelName: str(wire.model_name),
    fullName,
    createdAt: createTime === null ? null : toIsoDateTime(createTime, utcOffset),
    expiresAt: expireTime === null ? null : toIsoDateTime(expireTime, utcOffset),
  };
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function int(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && Math.abs(number) <= 2 ** 31 - 1 ? number : null;
}
