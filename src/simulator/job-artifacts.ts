import type { WireCheckpoint, WireJob } from '../upstream/wire.js';
import { mulberry32 } from './fixtures.js';

/**
 * What the simulator keeps beside each job: its log and its checkpoints, served by
 * `GET /fine-tunes/{id}/logs?offset=&line=` and `GET /fine-tunes/{id}/checkpoints` with the vendor's
 * bodies and error codes (see `serveArtifact`).
 *
 * Logs: a job whose log was never written to gets one made up from its state on first read
 * (deterministic, seeded by the id), shaped like the vendor's example (timestamped INFO lines,
 * `{'loss': …}` dicts, `Actual number of consumed tokens is N!`, `##FT_COMPLETE##`); the vendor's
 * example job has 1,250 lines, more than one upstream call returns. Jobs that run (the living demo,
 * or a test through `appendLogs`) get their lines as they go.
 *
 * Checkpoints: a SUCCEEDED job has one per epoch (text models) or one per LM/FM epoch pair
 * (`cosyvoice*`: `step = LM_epoch * 10000 + FM_epoch`, up to `output_cnt`), largest step first; the
 * newest is SUCCEEDED with a deployable `model_name`, the others PENDING (not exported). Other jobs
 * have none. Made once the job is terminal and then kept, so `setCheckpoints` can change them.
 */
export type ArtifactEndpoint = 'getJobLogs' | 'listCheckpoints';

/** The documented `line` maximum. */
export const SIM_MAX_LOG_LINES = 1000;
/** The vendor's own log example, and the number of lines the simulator gives its example job. */
export const VENDOR_EXAMPLE_JOB = 'ft-202410291653-1c7f';
export const VENDOR_EXAMPLE_LOG_LINES = 1250;

export interface JobArtifacts {
  /** The job's log so far (made up from its state on first use). */
  logs(tenant: string, job: WireJob): readonly string[];
  appendLogs(tenant: string, jobId: string, lines: readonly string[]): void;
  checkpoints(tenant: string, job: WireJob): readonly WireCheckpoint[];
  setCheckpoints(tenant: string, jobId: string, checkpoints: readonly WireCheckpoint[]): void;
  /** Forgets a job's log and checkpoints (the job was removed). */
  forget(tenant: string, jobId: string): void;
}

export function createJobArtifacts(): JobArtifacts {
  const logs = new Map<string, string[]>();
  const checkpoints = new Map<string, WireCheckpoint[]>();
  const keyOf = (tenant: string, jobId: string): string => `${tenant}\n${jobId}`;
  return {
    logs(tenant, job) {
      const key = keyOf(tenant, job.job_id);
      let lines = logs.get(key);
      if (lines === undefined) {
        lines = madeUpLog(job);
        logs.set(key, lines);
      }
      return lines;
    },
    appendLogs(tenant, jobId, lines) {
      const key = keyOf(tenant, jobId);
      const existing = logs.get(key);
      if (existing === undefined) logs.set(key, [...lines]);
      else existing.push(...lines);
    },
    checkpoints(tenant, job) {
      const key = keyOf(tenant, job.job_id);
      const kept = checkpoints.get(key);
      if (kept !== undefined) return kept;
      const made = madeUpCheckpoints(job);
      if (isTerminal(job.status)) checkpoints.set(key, made);
      return made;
    },
    setCheckpoints(tenant, jobId, list) {
      checkpoints.set(keyOf(tenant, jobId), [...list]);
    },
    forget(tenant, jobId) {
      logs.delete(keyOf(tenant, jobId));
      checkpoints.delete(keyOf(tenant, jobId));
    },
  };
}

/** `/api/v1/fine-tunes/{id}/logs` or `/checkpoints`; null for any other path. */
export function routeArtifact(path: string, prefix: string): { endpoint: ArtifactEndpoint; jobId: string } | null {
  if (!path.startsWith(`${prefix}/`)) return null;
  const parts = path.slice(prefix.length + 1).split('/');
  if (parts.length !== 2 || parts[0] === '') return null;
  const endpoint = parts[1] === 'logs' ? 'getJobLogs' : parts[1] === 'checkpoints' ? 'listCheckpoints' : null;
  if (endpoint === null) return null;
  try {
    return { endpoint, jobId: decodeURIComponent(parts[0] as string) };
  } catch {
    return null;
  }
}

export interface ArtifactReply {
  status: number;
  body: unknown;
}

/** The reply for one artifact call on a job the caller can see. */
export function serveArtifact(
  endpoint: ArtifactEndpoint,
  params: URLSearchParams,
  artifacts: JobArtifacts,
  tenant: string,
  job: WireJob,
  requestId: string,
): ArtifactReply {
  if (endpoint === 'listCheckpoints') {
    return { status: 200, body: { request_id: requestId, output: artifacts.checkpoints(tenant, job) } };
  }
  const offset = intParam(params.get('offset'), 0);
  const line = intParam(params.get('line'), 100);
  if (offset === null || offset < 0) {
    return { status: 400, body: { code: 'InvalidParameter', message: 'offset must be a non-negative integer', request_id: requestId } };
  }
  if (line === null || line < 1 || line > SIM_MAX_LOG_LINES) {
    return {
      status: 400,
      body: { code: 'InvalidParameter', message: `line must be between 1 and ${SIM_MAX_LOG_LINES}`, request_id: requestId },
    };
  }
  const all = artifacts.logs(tenant, job);
  return { status: 200, body: { request_id: requestId, output: { total: all.length, logs: all.slice(offset, offset + line) } } };
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const isTerminal = (status: string | undefined): boolean => status !== undefined && TERMINAL.has(status);

/** `2024-10-29 17:11:24,689 - INFO - text`: the vendor's log line format. */
export function logLine(at: Date, level: 'INFO' | 'WARNING' | 'ERROR', text: string): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)} - ${level} - ${text}`;
}

/** The upstream's zone-less time, read as if it were UTC (only the digits matter here). */
function parseUpstreamTime(value: string | undefined): number {
  const parsed = value === undefined ? Number.NaN : Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isFinite(parsed) ? parsed : Date.UTC(2024, 9, 29, 16, 0, 0);
}

function seedOf(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** The lines a job that reached `status` would have written. */
function madeUpLog(job: WireJob): string[] {
  const random = mulberry32(seedOf(job.job_id));
  const start = parseUpstreamTime(job.create_time);
  const status = job.status ?? 'PENDING';
  const lines: string[] = [];
  let at = start;
  const write = (text: string, level: 'INFO' | 'WARNING' | 'ERROR' = 'INFO'): void => {
    at += 200 + Math.floor(random() * 2_000);
    lines.push(logLine(new Date(at), level, text));
  };
  if (status === 'PENDING') return lines;
  write(`finetune-job ${job.job_id} queued`);
  if (status === 'QUEUING') return lines;
  write(`start training: model=${job.model ?? 'unknown'} training_type=${job.training_type ?? 'sft'}`);
  write('loading training data');
  const target =
    job.job_id === VENDOR_EXAMPLE_JOB
      ? VENDOR_EXAMPLE_LOG_LINES
      : status === 'RUNNING' || status === 'SUSPENDED' || status === 'CANCELING'
        ? 20 + Math.floor(random() * 40)
        : 40 + Math.floor(random() * 160);
  const closing = status === 'SUCCEEDED' ? 4 : status === 'FAILED' || status === 'CANCELED' ? 1 : 0;
  let step = 0;
  while (lines.length < target - closing) {
    step += 1;
    const loss = (2.5 * Math.exp(-step / 200) + random() * 0.1).toFixed(4);
    lines.push(`{'loss': ${loss}, 'learning_rate': 1.6e-05, 'epoch': ${(step / 100).toFixed(2)}, 'step': ${step}}`);
  }
  // The closing lines are written when the job ended.
  if (closing > 0 && job.end_time !== undefined) at = Math.max(at, parseUpstreamTime(job.end_time) - 3_000);
  if (status === 'SUCCEEDED') {
    lines.push(`{'train_runtime': ${(step * 1.7).toFixed(4)}, 'train_samples_per_second': 3.217, 'epoch': ${(step / 100).toFixed(2)}}`);
    lines.push(` Actual number of consumed tokens is ${job.usage ?? 0}!`);
    write('finetune-job succeeded');
    write('##FT_COMPLETE##');
  } else if (status === 'FAILED') {
    write('finetune-job failed: training process exited with code 1', 'ERROR');
  } else if (status === 'CANCELED') {
    write('finetune-job canceled by user', 'WARNING');
  }
  return lines;
}

function madeUpCheckpoints(job: WireJob): WireCheckpoint[] {
  if (job.status !== 'SUCCEEDED') return [];
  const model = job.model ?? job.base_model ?? 'model';
  const ended = parseUpstreamTime(job.end_time ?? job.create_time);
  const steps: number[] = [];
  if (model.startsWith('cosyvoice')) {
    const count = typeof job.output_cnt === 'number' && job.output_cnt > 0 ? Math.min(job.output_cnt, 10) : 3;
    for (let i = 1; i <= count; i++) steps.push(Math.ceil(i / 2) * 10_000 + (i % 2 === 0 ? 4 : 2));
  } else {
    const epochs = typeof job.hyper_parameters?.n_epochs === 'number' ? Math.min(Math.max(1, job.hyper_parameters.n_epochs), 10) : 3;
    for (let epoch = 1; epoch <= epochs; epoch++) steps.push(epoch * 160);
  }
  steps.sort((a, b) => b - a);
  return steps.map((step, index) => {
    const checkpoint = model.startsWith('cosyvoice') ? `checkpoint-${String(step).padStart(8, '0')}` : `checkpoint-${step}`;
    const id = `${job.job_id}:${checkpoint}`;
    const created = new Date(ended - index * 600_000);
    const iso = (date: Date): string => date.toISOString().slice(0, 19);
    const entry: WireCheckpoint = {
      create_time: iso(created),
      full_name: id,
      job_id: job.job_id,
      checkpoint_id: id,
      checkpoint,
      status: index === 0 ? 'SUCCEEDED' : 'PENDING',
      expire_time: iso(new Date(created.getTime() + 15 * 86_400_000)),
      step,
    };
    if (index === 0) {
      entry.model_name = `${model}-${job.job_id}`;
      entry.model_display_name = job.job_id;
    }
    return entry;
  });
}

function intParam(value: string | null, fallback: number): number | null {
  if (value === null) return fallback;
  return /^-?\d+$/.test(value) ? Number(value) : null;
}
