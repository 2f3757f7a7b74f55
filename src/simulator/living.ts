import type { WireJob } from '../upstream/wire.js';
import { DEMO_WORKSPACE, MODELS, jobId, mulberry32, upstreamTime, uuid } from './fixtures.js';
import { logLine } from './job-artifacts.js';

/**
 * The living demo: a simulator that starts a new job now and then and moves each one through
 * PENDING → QUEUING → RUNNING → SUCCEEDED or FAILED within a couple of minutes, so GraphiQL's list
 * and the `fineTuneStatus` and `fineTuneLogs` subscriptions have something to show: statuses, end
 * times, outputs and usage change, and a running job writes a log line every `logEveryMs`.
 *
 * It runs on a clock of its own that only `advance(ms)` moves: tests step it deterministically;
 * `npm start` (`main.ts`) sets `realTime`, and a timer advances it by the wall time that passed.
 * The fixed demo jobs are never touched.
 */
export interface LivingDemoOptions {
  /** A new job this often (simulated time). @default 20_000 */
  newJobEveryMs?: number;
  /** Time spent PENDING, then QUEUING. @default 5_000, 10_000 */
  pendingMs?: number;
  queuingMs?: number;
  /** Time spent RUNNING: between these (uniform, seeded). @default 30_000..90_000 */
  runningMs?: [min: number, max: number];
  /** A running job writes a log line this often (simulated time). @default 1_000 */
  logEveryMs?: number;
  /** Share of jobs that end FAILED instead of SUCCEEDED. @default 0.2 */
  failureRate?: number;
  /** PRNG seed: the same seed and steps give the same jobs. @default 7 */
  seed?: number;
  /** Where the simulated clock starts (epoch ms). @default Date.now() */
  startAt?: number;
  /** Living jobs kept: beyond this many, the oldest finished one is dropped. @default 50 */
  maxJobs?: number;
  /** Advance the clock with the wall clock, every `tickMs` (`npm start` only). @default false */
  realTime?: boolean;
  /** @default 1_000 */
  tickMs?: number;
}

/** What the living demo needs from the simulator: the demo tenant's jobs. */
export interface LivingJobs {
  add(job: WireJob): void;
  update(jobId: string, patch: Partial<WireJob>): void;
  remove(jobId: string): void;
  appendLogs(jobId: string, lines: readonly string[]): void;
}

export interface LivingDemo {
  /** The simulated time (epoch ms). */
  now(): number;
  /** Moves the clock forward, starting jobs and moving them on as their times come. */
  advance(ms: number): void;
  /** Ids of the jobs it started, oldest first. */
  jobIds(): string[];
  stop(): void;
}

/** The upstream's clock: the vendor's times are Beijing time (the gateway's default `DASHSCOPE_UTC_OFFSET`). */
const UPSTREAM_OFFSET_MS = 8 * 3600_000;

interface Plan {
  id: string;
  createdAt: number;
  queuedAt: number;
  runningAt: number;
  endedAt: number;
  outcome: 'SUCCEEDED' | 'FAILED';
  model: string;
  usage: number;
  status: string;
  /** Training log lines written so far. */
  steps: number;
}

export function createLivingDemo(jobs: LivingJobs, options: LivingDemoOptions = {}): LivingDemo {
  const every = options.newJobEveryMs ?? 20_000;
  const pendingMs = options.pendingMs ?? 5_000;
  const queuingMs = options.queuingMs ?? 10_000;
  const [runMin, runMax] = options.runningMs ?? [30_000, 90_000];
  const failureRate = options.failureRate ?? 0.2;
  const logEveryMs = options.logEveryMs ?? 1_000;
  const maxJobs = options.maxJobs ?? 50;
  const random = mulberry32(options.seed ?? 7);
  let now = options.startAt ?? Date.now();
  let nextStart = now + every;
  const plans: Plan[] = [];

  const upstream = (epochMs: number): string => upstreamTime(epochMs + UPSTREAM_OFFSET_MS);

  const start = (at: number): void => {
    const model = MODELS[Math.floor(random() * MODELS.length)] as string;
    const id = jobId(at + UPSTREAM_OFFSET_MS, random);
    const runningAt = at + pendingMs + queuingMs;
    const plan: Plan = {
      id,
      createdAt: at,
      queuedAt: at + pendingMs,
      runningAt,
      endedAt: runningAt + runMin + Math.floor(random() * (runMax - runMin)),
      outcome: random() < failureRate ? 'FAILED' : 'SUCCEEDED',
      model,
      usage: 10_000 + Math.floor(random() * 400_000),
      status: 'PENDING',
      steps: 0,
    };
    plans.push(plan);
    jobs.appendLogs(id, []);
    jobs.add({
      job_id: id,
      job_name: id,
      status: 'PENDING',
      model,
      base_model: model,
      training_file_ids: [uuid(random)],
      validation_file_ids: [],
      hyper_parameters: { n_epochs: 3, batch_size: 16, max_length: 4096, learning_rate: '2e-5', lr_scheduler_type: 'linear', split: 0.9 },
      training_type: 'sft',
      create_time: upstream(at),
      workspace_id: DEMO_WORKSPACE,
      group: model.startsWith('cosyvoice') ? 'audio' : 'llm',
    });
    // Bounded under a long `npm start`: forget the oldest finished job.
    if (plans.length > maxJobs) {
      const index = plans.findIndex((candidate) => candidate.status === 'SUCCEEDED' || candidate.status === 'FAILED');
      if (index !== -1) {
        jobs.remove((plans[index] as Plan).id);
        plans.splice(index, 1);
      }
    }
  };

  const statusAt = (plan: Plan, at: number): string => {
    if (at >= plan.endedAt) return plan.outcome;
    if (at >= plan.runningAt) return 'RUNNING';
    if (at >= plan.queuedAt) return 'QUEUING';
    return 'PENDING';
  };

  /** The log lines of the time that passed: one per `logEveryMs` of running, then the closing lines. */
  const writeLogs = (plan: Plan, status: string): void => {
    const lines: string[] = [];
    const at = (ms: number, level: 'INFO' | 'ERROR', text: string): void => {
      lines.push(logLine(new Date(ms + UPSTREAM_OFFSET_MS), level, text));
    };
    if (plan.status === 'PENDING' && status !== 'PENDING') at(plan.queuedAt, 'INFO', `finetune-job ${plan.id} queued`);
    if ((plan.status === 'PENDING' || plan.status === 'QUEUING') && (status === 'RUNNING' || status === plan.outcome)) {
      at(plan.runningAt, 'INFO', `start training: model=${plan.model} training_type=sft`);
    }
    const runUntil = Math.min(now, plan.endedAt);
    while (plan.runningAt + (plan.steps + 1) * logEveryMs <= runUntil) {
      plan.steps += 1;
      const loss = (2.5 * Math.exp(-plan.steps / 40) + 0.05).toFixed(4);
      lines.push(`{'loss': ${loss}, 'learning_rate': 2e-05, 'epoch': ${(plan.steps / 30).toFixed(2)}, 'step': ${plan.steps}}`);
    }
    if (status === 'SUCCEEDED' && plan.status !== 'SUCCEEDED') {
      lines.push(` Actual number of consumed tokens is ${plan.usage}!`);
      at(plan.endedAt, 'INFO', 'finetune-job succeeded');
      at(plan.endedAt, 'INFO', '##FT_COMPLETE##');
    }
    if (status === 'FAILED' && plan.status !== 'FAILED')
      at(plan.endedAt, 'ERROR', 'finetune-job failed: training process exited with code 1');
    if (lines.length > 0) jobs.appendLogs(plan.id, lines);
  };

  const move = (plan: Plan): void => {
    const status = statusAt(plan, now);
    if (status === 'RUNNING' || status !== plan.status) writeLogs(plan, status);
    if (status === plan.status) return;
    plan.status = status;
    const patch: Partial<WireJob> = { status };
    if (status === 'SUCCEEDED' || status === 'FAILED') patch.end_time = upstream(plan.endedAt);
    if (status === 'SUCCEEDED') {
      patch.finetuned_output = `${plan.model}-ft-${plan.id}`;
      patch.usage = plan.usage;
    }
    jobs.update(plan.id, patch);
  };

  const advance = (ms: number): void => {
    if (!(ms >= 0)) throw new Error(`living demo: cannot advance by ${ms} ms`);
    const until = now + ms;
    // Jobs start in order, each at its own time, so ids and create times follow the clock.
    while (nextStart <= until) {
      now = nextStart;
      for (const plan of plans) move(plan);
      start(nextStart);
      nextStart += every;
    }
    now = until;
    for (const plan of plans) move(plan);
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.realTime) {
    let last = Date.now();
    timer = setInterval(() => {
      const wall = Date.now();
      advance(Math.max(0, wall - last));
      last = wall;
    }, options.tickMs ?? 1_000);
    timer.unref();
  }

  return {
    now: () => now,
    advance,
    jobIds: () => plans.map((plan) => plan.id),
    stop: () => clearInterval(timer),
  };
}
