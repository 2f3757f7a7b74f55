/**
 * The gateway's own model of a job. `upstream/job-mapping.ts` builds it from the upstream's wire
 * object, checked field by field, so a single odd job (unknown status, a string where a number was
 * documented, a missing field) degrades to nulls instead of failing the page it is on.
 */
export interface FineTuneJob {
  id: string;
  jobName: string | null;
  status: FineTuneStatus;
  rawStatus: string;
  finetunedOutput: string | null;
  model: string;
  baseModel: string | null;
  trainingFileIds: string[];
  validationFileIds: string[];
  hyperParameters: HyperParameters | null;
  trainingType: string | null;
  createTime: string | null;
  endTime: string | null;
  createdAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  isTerminal: boolean;
  workspaceId: string | null;
  userIdentity: string | null;
  modifier: string | null;
  creator: string | null;
  group: string | null;
  usage: number | null;
  outputCnt: number | null;
  maxOutputCnt: number | null;
}

export interface HyperParameters {
  nEpochs: number | null;
  batchSize: number | null;
  maxLength: number | null;
  learningRate: number | null;
  lrSchedulerType: string | null;
  split: number | null;
  /** Every key the upstream sent, documented or not. */
  raw: Record<string, unknown>;
}

export const FINE_TUNE_STATUSES = [
  'PENDING',
  'QUEUING',
  'RUNNING',
  'CANCELING',
  'SUCCEEDED',
  'FAILED',
  'CANCELED',
  'SUSPENDED',
  'UNKNOWN',
] as const;
export type FineTuneStatus = (typeof FINE_TUNE_STATUSES)[number];

const TERMINAL_STATUSES: ReadonlySet<FineTuneStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const KNOWN_STATUSES: ReadonlySet<string> = new Set(FINE_TUNE_STATUSES);
/** Spellings seen in the vendor's prose and SDKs for the same states. */
const STATUS_ALIASES: Readonly<Record<string, FineTuneStatus>> = {
  SUCCEED: 'SUCCEEDED',
  SUCCESS: 'SUCCEEDED',
  CANCELLED: 'CANCELED',
  CANCELLING: 'CANCELING',
  QUEUED: 'QUEUING',
};

export function isTerminalStatus(status: FineTuneStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function toStatus(raw: string): FineTuneStatus {
  const normalized = raw.trim().toUpperCase();
  if (KNOWN_STATUSES.has(normalized)) return normalized as FineTuneStatus;
  return STATUS_ALIASES[normalized] ?? 'UNKNOWN';
}
