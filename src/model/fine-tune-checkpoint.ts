/**
 * A saved checkpoint of a job (`GET /fine-tunes/{id}/checkpoints`), as `upstream/checkpoint-mapping.ts`
 * builds it from the wire object, field by field: an odd field becomes null, never a failed list.
 */
export interface FineTuneCheckpoint {
  /** `checkpoint_id` (`{job_id}:checkpoint-{step}`), else `full_name`, else `{job_id}:{checkpoint}`. */
  id: string;
  step: number | null;
  /** `SUCCEEDED` (deployable), `PENDING`, `PROCESSING`, `FAILED`, `UNSUPPORTED`… as the upstream sent it. */
  status: string;
  /** `checkpoint-{step}`: what an export names. */
  checkpoint: string | null;
  /** The deployable model id; only when SUCCEEDED. */
  modelName: string | null;
  fullName: string | null;
  createdAt: string | null;
  expiresAt: string | null;
}

/** Newest step first (the upstream's documented order, made sure of): unknown steps last, ties kept in order. */
export function newestStepFirst(checkpoints: readonly FineTuneCheckpoint[]): FineTuneCheckpoint[] {
  return [...checkpoints].sort((a, b) => (b.step ?? Number.NEGATIVE_INFINITY) - (a.step ?? Number.NEGATIVE_INFINITY) || 0);
}
