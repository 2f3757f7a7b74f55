import type { WireCheckpoint, WireJob } from '../upstream/wire.js';
import { DEMO_WORKSPACE, jobId, mulberry32, upstreamTime } from './fixtures.js';

/**
 * The simulator's four actions, with the vendor's bodies, error codes and state rules:
 * `POST /fine-tunes` (create), `POST /fine-tunes/{id}/cancel`, `DELETE /fine-tunes/{id}` and
 * `GET /fine-tunes/{id}/export/{checkpoint}?model_name=` (export, a GET that changes state).
 * See /work/shared/upstream-api/beyond-list-and-get.md §1–§3 and §5.2 for the sources.
 *
 * - Create answers the new job, PENDING, with the vendor's `job_id` format and zone-less times.
 *   Missing training files, an unknown training type, or a type the model does not support answer
 *   400 `InvalidParameter` with the vendor's messages; beyond `maxActiveJobs` jobs that are not
 *   finished, 429 `Throttling`.
 * - Cancel moves a PENDING, QUEUING or RUNNING job to CANCELING and, `cancelingMs` later, to
 *   CANCELED (with `end_time`); a finished job answers 400 `UnsupportedOperation`. A job already
 *   CANCELING answers success again (the vendor does not say; this is the gentle reading).
 * - Delete follows `deleteRule`, because the vendor's pages disagree on which jobs may be deleted
 *   (the gateway passes whatever the upstream says through): `finished-only` (the default: finished
 *   jobs may go, active ones answer 400 `UnsupportedOperation`) or `active-only` (the vendor's
 *   messages read literally: finished jobs answer 400 `UnsupportedOperation`).
 * - Export answers `{"output": true}` and moves a PENDING (or FAILED) checkpoint to PROCESSING with
 *   the given display name (`model_display_name`) and, `exportingMs` later, to SUCCEEDED with a
 *   deployable `model_name` (`{model}-{job_id}-c{step}`, as the vendor's example). A checkpoint
 *   already PROCESSING or SUCCEEDED answers `true` again and changes nothing (the vendor does not
 *   say; the gentle reading). An unknown job or checkpoint answers 404 `NotFound`; a missing or
 *   malformed `model_name` 400 `InvalidParameter`; a display name this tenant already gave another
 *   checkpoint 409 `Conflict`; an `UNSUPPORTED` checkpoint 400 `UnsupportedOperation`. The vendor's
 *   `{"output": false}` (not submitted) is never answered by itself: inject it as a fault.
 */

export interface ActionRules {
  /** Time a canceled job spends CANCELING before it is CANCELED (real time). @default 1000 */
  cancelingMs?: number;
  /** Which jobs DELETE accepts. @default "finished-only" */
  deleteRule?: 'finished-only' | 'active-only';
  /** Jobs not yet finished a tenant may have; one more create answers 429. @default Infinity */
  maxActiveJobs?: number;
  /** Time an exported checkpoint spends PROCESSING before it is SUCCEEDED (real time). @default 1000 */
  exportingMs?: number;
}

/** A job's checkpoints as the simulator keeps them (`job-artifacts.ts`): what an export changes. */
export interface CheckpointStore {
  list(tenant: string, job: WireJob): readonly WireCheckpoint[];
  set(tenant: string, jobId: string, checkpoints: readonly WireCheckpoint[]): void;
}

/** What an action answers: an HTTP status and a JSON body (without `request_id`, which the server adds). */
export interface ActionReply {
  status: number;
  body: Record<string, unknown>;
}

/** The tenant's jobs as the action sees them. */
export interface TenantJobs {
  /** Names the tenant (its API key). */
  readonly tenant: string;
  /** Every job of the key (all workspaces). */
  all(): WireJob[];
  /** The jobs the request may see (its workspace). */
  visible(): WireJob[];
  add(job: WireJob): void;
  update(jobId: string, patch: Partial<WireJob>): void;
  remove(jobId: string): void;
}

export interface JobActions {
  create(jobs: TenantJobs, body: unknown, workspace: string | null): ActionReply;
  cancel(jobs: TenantJobs, jobId: string): ActionReply;
  delete(jobs: TenantJobs, jobId: string): ActionReply;
  export(jobs: TenantJobs, jobId: string, checkpoint: string, modelName: string | null): ActionReply;
  /**
   * Moves jobs whose CANCELING time is over to CANCELED, and exports whose PROCESSING time is over
   * to SUCCEEDED; the server calls it before every request.
   */
  settle(jobs: TenantJobs, now?: number): void;
  /** Ends every CANCELING and PROCESSING period now (tests). */
  settleAll(jobs: TenantJobs): void;
  setRules(rules: ActionRules): void;
}

/** The vendor's `training_type` values for text models; Wan and CosyVoice take only `efficient_sft`. */
export const TRAINING_TYPES = ['cpt', 'sft', 'efficient_sft', 'dpo_full', 'dpo_lora'] as const;
const ONLY_EFFICIENT = /^(wan|cosyvoice|qwen-image)/;
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const CANCELABLE = new Set(['PENDING', 'QUEUING', 'RUNNING']);
/** The upstream's clock: Beijing time. */
const UPSTREAM_OFFSET_MS = 8 * 3600_000;

const SUCCESS: Record<string, unknown> = { output: { status: 'success' } };

/** The vendor: letters, digits, `_` and `-`. */
const EXPORT_MODEL_NAME = /^[\p{L}\p{N}_-]+$/u;

export function createJobActions(initial: ActionRules = {}, checkpoints?: CheckpointStore): JobActions {
  let rules: Required<ActionRules> = {
    cancelingMs: 1_000,
    deleteRule: 'finished-only',
    maxActiveJobs: Number.POSITIVE_INFINITY,
    exportingMs: 1_000,
  };
  rules = { ...rules, ...initial };
  /** tenant -> job id -> when its CANCELING ends (epoch ms). */
  const canceling = new Map<string, Map<string, number>>();
  const random = mulberry32(13);
  const cancelingOf = (jobs: TenantJobs): Map<string, number> => {
    let pending = canceling.get(jobs.tenant);
    if (pending === undefined) {
      pending = new Map();
      canceling.set(jobs.tenant, pending);
    }
    return pending;
  };

  /** tenant -> `{job id}\n{checkpoint}` -> when its PROCESSING ends (epoch ms). */
  const exporting = new Map<string, Map<string, number>>();
  /** tenant -> the display names its exports used. */
  const exportNames = new Map<string, Set<string>>();
  const tenantEntry = <V>(map: Map<string, V>, tenant: string, make: () => V): V => {
    let entry = map.get(tenant);
    if (entry === undefined) {
      entry = make();
      map.set(tenant, entry);
    }
    return entry;
  };

  const invalid = (message: string): ActionReply => ({ status: 400, body: { code: 'InvalidParameter', message } });
  const notFound = (): ActionReply => ({ status: 404, body: { code: 'NotFound', message: 'Not found!' } });
  const unsupported = (message: string): ActionReply => ({ status: 400, body: { code: 'UnsupportedOperation', message } });

  const finishCancel = (jobs: TenantJobs, id: string, at: number): void => {
    cancelingOf(jobs).delete(id);
    const job = jobs.all().find((candidate) => candidate.job_id === id);
    if (job === undefined || job.status !== 'CANCELING') return;
    jobs.update(id, { status: 'CANCELED', end_time: upstreamTime(at + UPSTREAM_OFFSET_MS), usage: job.usage ?? 0 });
  };

  /** Replaces one checkpoint of a job (by name) with `patch` applied. */
  const patchCheckpoint = (tenant: string, job: WireJob, name: string, patch: (entry: WireCheckpoint) => WireCheckpoint): void => {
    if (checkpoints === undefined) return;
    const list = checkpoints.list(tenant, job);
    checkpoints.set(
      tenant,
      job.job_id,
      list.map((entry) => (entry.checkpoint === name ? patch(entry) : entry)),
    );
  };

  const finishExport = (jobs: TenantJobs, key: string): void => {
    exporting.get(jobs.tenant)?.delete(key);
    const [jobId, name] = key.split('\n') as [string, string];
    const job = jobs.all().find((candidate) => candidate.job_id === jobId);
    if (job === undefined) return;
    patchCheckpoint(jobs.tenant, job, name, (entry) =>
      entry.status === 'PROCESSING'
        ? { ...entry, status: 'SUCCEEDED', model_name: `${job.model ?? job.base_model ?? 'model'}-${jobId}-c${entry.step ?? name}` }
        : entry,
    );
  };

  return {
    create(jobs, body, workspace) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('The request body must be a JSON object.');
      const input = body as Record<string, unknown>;
      const model = input.model;
      if (typeof model !== 'string' || model === '') return invalid('Missing model');
      const files = input.training_file_ids;
      const datasets = input.training_datasets;
      const hasFiles = Array.isArray(files) && files.length > 0 && files.every((file) => typeof file === 'string' && file !== '');
      if (!hasFiles && !(Array.isArray(datasets) && datasets.length > 0)) return invalid('Missing training files');
      const trainingType = input.training_type ?? (ONLY_EFFICIENT.test(model) ? 'efficient_sft' : 'sft');
      if (
        typeof trainingType !== 'string' ||
        !(TRAINING_TYPES as readonly string[]).includes(trainingType) ||
        (ONLY_EFFICIENT.test(model) && trainingType !== 'efficient_sft')
      ) {
        return invalid(`The model ${model} does not support training_type: ${String(trainingType)}`);
      }
      const hyper = input.hyper_parameters;
      if (hyper !== undefined && (typeof hyper !== 'object' || hyper === null || Array.isArray(hyper))) {
        return invalid('hyper_parameters must be an object');
      }
      const all = jobs.all();
      const active = all.filter((job) => !FINISHED.has(job.status ?? '')).length;
      if (active >= rules.maxActiveJobs) {
        return { status: 429, body: { code: 'Throttling', message: 'Too many fine-tune job in running, please retry later.' } };
      }
      const now = Date.now();
      let id: string;
      do {
        id = jobId(now + UPSTREAM_OFFSET_MS, random);
      } while (all.some((job) => job.job_id === id));
      const owner = all.find((job) => typeof job.user_identity === 'string')?.user_identity ?? '1396993924585947';
      const job: WireJob = {
        job_id: id,
        job_name: typeof input.job_name === 'string' && input.job_name !== '' ? input.job_name : id,
        status: 'PENDING',
        model,
        base_model: model,
        training_file_ids: hasFiles ? [...(files as string[])] : [],
        validation_file_ids: Array.isArray(input.validation_file_ids) ? [...(input.validation_file_ids as string[])] : [],
        hyper_parameters: (hyper as Record<string, unknown> | undefined) ?? {},
        training_type: trainingType,
        create_time: upstreamTime(now + UPSTREAM_OFFSET_MS),
        workspace_id: workspace ?? all[0]?.workspace_id ?? DEMO_WORKSPACE,
        user_identity: owner,
        modifier: owner,
        creator: owner,
        group: model.startsWith('cosyvoice') ? 'audio' : 'llm',
      };
      jobs.add(job);
      return { status: 200, body: { output: job } };
    },

    cancel(jobs, id) {
      const job = jobs.visible().find((candidate) => candidate.job_id === id);
      if (job === undefined) return notFound();
      if (job.status === 'CANCELING') return { status: 200, body: SUCCESS };
      if (!CANCELABLE.has(job.status ?? '')) {
        return unsupported('The fine-tuning job cannot be canceled because it has already succeeded, failed, or been canceled.');
      }
      jobs.update(id, { status: 'CANCELING' });
      cancelingOf(jobs).set(id, Date.now() + rules.cancelingMs);
      if (rules.cancelingMs <= 0) finishCancel(jobs, id, Date.now());
      return { status: 200, body: SUCCESS };
    },

    delete(jobs, id) {
      const job = jobs.visible().find((candidate) => candidate.job_id === id);
      if (job === undefined) return notFound();
      const finished = FINISHED.has(job.status ?? '');
      if (rules.deleteRule === 'finished-only' && !finished) {
        return unsupported('The fine-tuning job cannot be deleted while it is pending or running; cancel it first.');
      }
      if (rules.deleteRule === 'active-only' && finished) {
        return unsupported('The fine-tuning job cannot be deleted because it has succeeded, failed, or been canceled.');
      }
      cancelingOf(jobs).delete(id);
      jobs.remove(id);
      return { status: 200, body: SUCCESS };
    },

    export(jobs, id, name, modelName) {
      const job = jobs.visible().find((candidate) => candidate.job_id === id);
      if (job === undefined || checkpoints === undefined) return notFound();
      if (modelName === null || modelName === '') return invalid('Missing model_name');
      if (!EXPORT_MODEL_NAME.test(modelName)) return invalid('model_name may only contain letters, digits, "_" and "-".');
      const entry = checkpoints.list(jobs.tenant, job).find((candidate) => candidate.checkpoint === name);
      if (entry === undefined) return notFound();
      if (entry.status === 'PROCESSING' || entry.status === 'SUCCEEDED') return { status: 200, body: { output: true } };
      if (entry.status === 'UNSUPPORTED') return unsupported(`The checkpoint ${name} cannot be exported.`);
      const names = tenantEntry(exportNames, jobs.tenant, () => new Set<string>());
      if (names.has(modelName)) {
        return { status: 409, body: { code: 'Conflict', message: `Model instance ${modelName} already exists, please specify a suffix` } };
      }
      names.add(modelName);
      patchCheckpoint(jobs.tenant, job, name, (current) => ({ ...current, status: 'PROCESSING', model_display_name: modelName }));
      const key = `${id}\n${name}`;
      tenantEntry(exporting, jobs.tenant, () => new Map<string, number>()).set(key, Date.now() + rules.exportingMs);
      if (rules.exportingMs <= 0) finishExport(jobs, key);
      return { status: 200, body: { output: true } };
    },

    settle(jobs, now = Date.now()) {
      const pending = canceling.get(jobs.tenant);
      if (pending !== undefined) for (const [id, at] of [...pending]) if (at <= now) finishCancel(jobs, id, at);
      const exports = exporting.get(jobs.tenant);
      if (exports !== undefined) for (const [key, at] of [...exports]) if (at <= now) finishExport(jobs, key);
    },

    settleAll(jobs) {
      const now = Date.now();
      for (const id of [...(canceling.get(jobs.tenant)?.keys() ?? [])]) finishCancel(jobs, id, now);
      for (const key of [...(exporting.get(jobs.tenant)?.keys() ?? [])]) finishExport(jobs, key);
    },

    setRules(next) {
      rules = { ...rules, ...next };
    },
  };
}
