import type { WireJob } from '../upstream/wire.js';

/** The key the embedded simulator accepts by default (`npm start` without a real key uses it). */
export const DEMO_API_KEY = 'sk-simulator-demo';
export const DEMO_WORKSPACE = 'llm-demo-workspace';

export const MODELS = ['qwen3-14b', 'qwen3-8b', 'qwen-plus', 'qwen2.5-7b-instruct', 'cosyvoice-v3-flash'] as const;
const STATUSES = ['SUCCEEDED', 'RUNNING', 'FAILED', 'PENDING', 'CANCELED', 'QUEUING', 'SUCCEEDED', 'SUSPENDED', 'CANCELING'] as const;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

/** A small deterministic PRNG, so every run (and every test) sees the same demo data. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2024-10-29 16:53:53`: the upstream's zone-less format. */
export function upstreamTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export function jobId(epochMs: number, random: () => number): string {
  const d = new Date(epochMs);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `ft-${stamp}-${suffix}`;
}

export function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface FixtureOptions {
  /** @default 42 */
  seed?: number;
  /** Generated jobs, besides the vendor's two examples. @default 55 */
  count?: number;
  /** Include the vendor's two example jobs (the newest). @default true */
  vendorExamples?: boolean;
  /** @default DEMO_WORKSPACE */
  workspaceId?: string;
  /** Owner UID of every job. @default "1396993924585947" */
  owner?: string;
}

/** The two jobs of the vendor's reference page, verbatim apart from the workspace. */
export function vendorExampleJobs(workspaceId = DEMO_WORKSPACE): WireJob[] {
  const hyper = { n_epochs: 3, batch_size: 32, max_length: 8192, learning_rate: '1.6e-5', lr_scheduler_type: 'linear', split: 0.9 };
  const people = { user_identity: '1396993924585947', modifier: '1396993924585947', creator: '1396993924585947' };
  return [
    {
      job_id: 'ft-202410291653-1c7f',
      job_name: 'ft-202410291653-1c7f',
      status: 'SUCCEEDED',
      finetuned_output: 'qwen3-14b-suffix-ft-202410291653-1c7f',
      model: 'qwen3-14b',
      base_model: 'qwen3-14b',
      training_file_ids: ['976bd01a-f30b-4414-86fd-50c54486e3ef'],
      validation_file_ids: [],
      hyper_parameters: { ...hyper },
      training_type: 'sft',
      create_time: '2024-10-29 16:53:53',
      workspace_id: workspaceId,
      ...people,
      end_time: '2024-10-29 17:11:26',
      group: 'llm',
      usage: 279808,
    },
    {
      job_id: 'ft-202410291512-1851',
      job_name: 'ft-202410291512-1851',
      status: 'CANCELED',
      model: 'qwen3-14b',
      base_model: 'qwen3-14b',
      training_file_ids: ['86a9fe7f-dd77-43b0-9834-2170e12339ec', '03ead352-6190-4328-8016-61821c23d4fc'],
      validation_file_ids: [],
      hyper_parameters: { ...hyper },
      code: '1',
      training_type: 'sft',
      create_time: '2024-10-29 15:12:00',
      workspace_id: workspaceId,
      ...people,
      end_time: '2024-10-29 15:16:00',
      group: 'llm',
      usage: 0,
    },
  ];
}

/**
 * Realistic jobs covering every documented status and several models, shaped like the vendor's
 * examples: `finetuned_output` only when SUCCEEDED, `end_time` only when terminal, `usage` only
 * when SUCCEEDED or CANCELED, checkpoints only for cosyvoice, `learning_rate` as a string.
 */
export function createDemoJobs(options: FixtureOptions = {}): WireJob[] {
  const random = mulberry32(options.seed ?? 42);
  const count = options.count ?? 55;
  const owner = options.owner ?? '1396993924585947';
  const workspaceId = options.workspaceId ?? DEMO_WORKSPACE;
  let time = Date.UTC(2024, 9, 29, 15, 0, 0);
  const jobs: WireJob[] = options.vendorExamples === false ? [] : vendorExampleJobs(workspaceId);
  for (let i = 0; i < count; i++) {
    time -= Math.floor(random() * 9 * 3600_000) + 600_000;
    const status = STATUSES[i % STATUSES.length] as string;
    const model = MODELS[Math.floor(random() * MODELS.length)] as string;
    const id = jobId(time, random);
    const job: WireJob = {
      job_id: id,
      job_name: id,
      status,
      model,
      base_model: model,
      training_file_ids: Array.from({ length: 1 + Math.floor(random() * 2) }, () => uuid(random)),
      validation_file_ids: random() < 0.3 ? [uuid(random)] : [],
      hyper_parameters: {
        n_epochs: 1 + Math.floor(random() * 5),
        batch_size: [8, 16, 32][Math.floor(random() * 3)],
        max_length: [2048, 4096, 8192][Math.floor(random() * 3)],
        learning_rate: ['1.6e-5', '2e-5', '1e-4', '3e-4'][Math.floor(random() * 4)],
        lr_scheduler_type: random() < 0.7 ? 'linear' : 'cosine',
        split: 0.9,
      },
      training_type: model.startsWith('cosyvoice') ? 'efficient_sft' : random() < 0.8 ? 'sft' : 'dpo',
      create_time: upstreamTime(time),
      workspace_id: workspaceId,
      user_identity: owner,
      modifier: owner,
      creator: owner,
      group: model.startsWith('cosyvoice') ? 'audio' : 'llm',
    };
    if (TERMINAL.has(status)) job.end_time = upstreamTime(time + 300_000 + Math.floor(random() * 3 * 3600_000));
    if (status === 'SUCCEEDED') job.finetuned_output = `${model}-ft-${id}`;
    if (status === 'SUCCEEDED') job.usage = 10_000 + Math.floor(random() * 900_000);
    if (status === 'CANCELED') {
      job.usage = Math.floor(random() * 20_000);
      job.code = '1';
    }
    if (model.startsWith('cosyvoice')) {
      job.max_output_cnt = 10;
      if (TERMINAL.has(status)) job.output_cnt = 1 + Math.floor(random() * 10);
    }
    jobs.push(job);
  }
  return jobs;
}
