/**
 * The upstream's JSON shapes as documented. Nothing here is trusted: the mapper in
 * `model/fine-tune-job.ts` checks each field before it is used.
 */
export interface WireJob {
  job_id: string;
  job_name?: string;
  status?: string;
  finetuned_output?: string;
  model?: string;
  base_model?: string;
  training_file_ids?: string[];
  validation_file_ids?: string[];
  hyper_parameters?: Record<string, unknown>;
  training_type?: string;
  create_time?: string;
  end_time?: string;
  workspace_id?: string;
  user_identity?: string;
  modifier?: string;
  creator?: string;
  group?: string;
  usage?: number;
  output_cnt?: number;
  max_output_cnt?: number;
  /** Undocumented, seen on CANCELED jobs. */
  code?: string;
  [extra: string]: unknown;
}

export interface WireJobEnvelope {
  request_id?: string;
  output: WireJob;
}

export interface WireJobPage {
  request_id?: string;
  output: {
    page_no?: number;
    page_size?: number;
    total?: number;
    jobs: WireJob[];
  };
}

/** The body of `POST /fine-tunes` the gateway sends (the vendor's create fields it exposes). */
export interface WireCreateJob {
  model: string;
  training_file_ids: string[];
  validation_file_ids?: string[];
  training_type?: string;
  job_name?: string;
  hyper_parameters?: Record<string, unknown>;
}

export interface WireError {
  code?: string;
  message?: string;
  request_id?: string;
}

/** `GET /fine-tunes/{id}/logs?offset=&line=`. */
export interface WireLogPage {
  request_id?: string;
  output: {
    /** Lines in the whole log so far. */
    total?: number;
    logs: string[];
  };
}

/** One entry of `GET /fine-tunes/{id}/checkpoints` (`output` is an array, largest step first). */
export interface WireCheckpoint {
  checkpoint_id?: string;
  job_id?: string;
  checkpoint?: string;
  full_name?: string;
  /** Only when `status` is SUCCEEDED. */
  model_name?: string;
  model_display_name?: string;
  status?: string;
  step?: number;
  /** ISO-like without a zone, e.g. `2026-05-27T18:07:16`. */
  create_time?: string;
  expire_time?: string;
  [extra: string]: unknown;
}
