/**
 * One read of a job's log (`GET /fine-tunes/{id}/logs?offset=&line=`): the upstream pages a
 * growing list of lines by position, so a line is known by its 0-based position in the log.
 */
export interface LogPage {
  requestId: string | null;
  /** The position of the first line of `lines` (the `offset` asked for). */
  offset: number;
  /** Lines in the whole log so far (`output.total`), when the upstream said. */
  total: number | null;
  /** Raw log lines, in order; entry `i` is line `offset + i`. */
  lines: readonly string[];
}

/** A log line and its position: what `FineTuneLogLine` and the live tail carry. */
export interface LogLine {
  /** 0-based position in the job's log: the upstream `offset` that starts at this line. */
  offset: number;
  text: string;
}
