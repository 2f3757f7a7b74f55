import { InvalidParameterError } from '../errors.js';
import type { WireCreateJob } from '../upstream/wire.js';

/**
 * `createFineTune`'s input, checked before any upstream call: what cannot be right is refused with
 * an `InvalidParameterError` naming the argument. What only the upstream knows (which model takes
 * which training type, whether a file exists, per-model hyper-parameter ranges) is left to it.
 * Sources: /work/shared/upstream-api/beyond-list-and-get.md §1.
 */
export interface CreateJobInput {
  model: string;
  trainingFileIds: readonly string[];
  validationFileIds?: readonly string[] | null | undefined;
  trainingType?: string | null | undefined;
  jobName?: string | null | undefined;
  hyperParameters?: unknown;
  idempotencyKey?: string | null | undefined;
}

/** The vendor's `training_type` values (text: all five; Wan, image and CosyVoice: `efficient_sft`). */
export const TRAINING_TYPES = ['cpt', 'sft', 'efficient_sft', 'dpo_full', 'dpo_lora'] as const;

export const MAX_FILE_IDS = 100;
const MAX_ID_LENGTH = 256;
/** Model ids (`qwen3-14b`, `qwen2.5-7b-instruct`, `qwen3-14b-suffix-ft-202410291653-1c7f`). */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** File ids: uuids, `file-ft-…`, the native API's long alphanumerics. */
const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CONTROL = /\p{Cc}/u;
const HYPER_PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_HYPER_PARAMETERS = 64;

type Check = (value: unknown) => string | null;

const positiveInt: Check = (value) => (Number.isSafeInteger(value) && (value as number) >= 1 ? null : 'an integer of 1 or more');
const nonNegativeInt: Check = (value) => (Number.isSafeInteger(value) && (value as number) >= 0 ? null : 'an integer of 0 or more');
/** Numbers, or numeric strings as the vendor's own examples send them (`"learning_rate": "1.6e-5"`). */
const numberIn =
  (min: number, max: number, what: string): Check =>
  (value) => {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof number === 'number' && Number.isFinite(number) && number >= min && number <= max ? null : what;
  };
const positiveNumber = numberIn(Number.MIN_VALUE, Number.MAX_VALUE, 'a number above 0');
const fraction = numberIn(0, 1, 'a number from 0 to 1');
const anyNumber = numberIn(-Number.MAX_VALUE, Number.MAX_VALUE, 'a number');
const boolean: Check = (value) => (typeof value === 'boolean' ? null : 'true or false');
const string: Check = (value) => (typeof value === 'string' && value !== '' ? null : 'a non-empty string');
const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value) ? null : `one of ${allowed.map((item) => `"${item}"`).join(', ')}`;
const intOrString: Check = (value) =>
  positiveInt(value) === null || string(value) === null ? null : 'an integer or a string such as "1k"';

/**
 * The documented hyper-parameters and their types (vendor doc §1.3–§1.6). Keys not listed here are
 * passed through unchecked: the set differs per model and grows.
 */
const HYPER_PARAMETERS: Readonly<Record<string, Check>> = {
  n_epochs: positiveInt,
  batch_size: positiveInt,
  max_length: positiveInt,
  learning_rate: positiveNumber,
  lr_scheduler_type: string,
  warmup_ratio: fraction,
  weight_decay: numberIn(0, Number.MAX_VALUE, 'a number of 0 or more'),
  eval_steps: nonNegativeInt,
  eval_epochs: positiveInt,
  logging_steps: positiveInt,
  split: fraction,
  max_split_val_dataset_sample: positiveInt,
  freeze_vit: boolean,
  lora_rank: positiveInt,
  lora_alpha: positiveInt,
  lora_dropout: fraction,
  data_augmentation: boolean,
  augmentation_types: string,
  augmentation_ratio: string,
  save_strategy: oneOf('epoch', 'steps'),
  save_steps: positiveInt,
  save_total_limit: positiveInt,
  max_steps: positiveInt,
  max_pixels: intOrString,
  generation_type: oneOf('t2i', 'i2i'),
  val_img_size: string,
  max_token_length: string,
  gradient_clip: anyNumber,
  lm_max_epoch: positiveInt,
  lm_step: positiveInt,
  lm_num: positiveInt,
  lm_batch_size: positiveInt,
  fm_max_epoch: positiveInt,
  fm_step: positiveInt,
  fm_num: positiveInt,
  fm_batch_size: positiveInt,
};

function invalid(argument: string, message: string): InvalidParameterError {
  return new InvalidParameterError(`Argument "${argument}" ${message}.`, 'InvalidParameter', null, argument);
}

function checkId(value: string, argument: string, pattern: RegExp, what: string): void {
  if (value.length === 0) throw invalid(argument, 'must not be empty');
  if (value.length > MAX_ID_LENGTH) throw invalid(argument, `must be at most ${MAX_ID_LENGTH} characters (got ${value.length})`);
  if (!pattern.test(value)) throw invalid(argument, `must be ${what}`);
}

function checkFileIds(ids: readonly string[], argument: string, required: boolean): string[] {
  if (required && ids.length === 0) throw invalid(argument, 'must name at least one file');
  if (ids.length > MAX_FILE_IDS) throw invalid(argument, `must name at most ${MAX_FILE_IDS} files (got ${ids.length})`);
  for (const [index, id] of ids.entries()) {
    checkId(id, `${argument}[${index}]`, FILE_ID, 'a file id (letters, digits, ".", "_" and "-")');
  }
  return [...ids];
}

function checkHyperParameters(value: unknown): Record<string, unknown> {
  const argument = 'input.hyperParameters';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(argument, 'must be a JSON object such as {"n_epochs": 3, "learning_rate": "1.6e-5"}');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HYPER_PARAMETERS) throw invalid(argument, `must have at most ${MAX_HYPER_PARAMETERS} keys`);
  for (const [name, item] of entries) {
    if (!HYPER_PARAMETER_NAME.test(name))
      throw invalid(argument, `has a key that is no hyper-parameter name: ${JSON.stringify(name.slice(0, 64))}`);
    const problem = Object.hasOwn(HYPER_PARAMETERS, name) ? (HYPER_PARAMETERS[name] as Check)(item) : null;
    if (problem !== null) throw invalid(`${argument}.${name}`, `must be ${problem} (got ${JSON.stringify(item)?.slice(0, 64)})`);
  }
  return Object.fromEntries(entries);
}

/** The upstream body for a valid input; an InvalidParameterError for anything that cannot be right. */
export function toCreateBody(input: CreateJobInput): WireCreateJob {
  checkId(input.model, 'input.model', MODEL_ID, 'a model id (letters, digits, ".", "_", ":" and "-")');
  const body: WireCreateJob = {
    model: input.model,
    training_file_ids: checkFileIds(input.trainingFileIds, 'input.trainingFileIds', true),
  };
  if (input.validationFileIds != null) body.validation_file_ids = checkFileIds(input.validationFileIds, 'input.validationFileIds', false);
  if (input.trainingType != null) {
    if (!(TRAINING_TYPES as readonly string[]).includes(input.trainingType)) {
      throw invalid(
        'input.trainingType',
        `must be one of ${TRAINING_TYPES.join(', ')} (got ${JSON.stringify(input.trainingType.slice(0, 64))})`,
      );
    }
    body.training_type = input.trainingType;
  }
  if (input.jobName != null) {
    if (input.jobName.length === 0 || input.jobName.length > MAX_ID_LENGTH || CONTROL.test(input.jobName)) {
      throw invalid('input.jobName', `must be 1 to ${MAX_ID_LENGTH} characters without control characters`);
    }
    body.job_name = input.jobName;
  }
  if (input.hyperParameters != null) body.hyper_parameters = checkHyperParameters(input.hyperParameters);
  return body;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]+$/;

/** 1 to 255 visible ASCII characters (a UUID is the usual choice). */
export function assertValidIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !IDEMPOTENCY_KEY.test(key)) {
    throw invalid('input.idempotencyKey', `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, e.g. a UUID`);
  }
}
