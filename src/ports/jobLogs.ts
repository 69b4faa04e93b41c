/** One structured log line (the JSON the loggers write), scoped with `jobId`. */
export type JobLogLine = { readonly time: string; readonly level: string; readonly msg: string } & {
  readonly [field: string]: string | number | boolean | null;
};

export interface JobLogPage {
  readonly lines: readonly JobLogLine[];
  /** Opaque: pass it back to read only what was written since. */
  readonly cursor: string;
}

/**
 * Per-job logs: the structured log lines that carry a job's id.
 *
 * Contract: `read(jobId)` returns the lines whose `jobId` field is that job's, oldest first by
 * `time`, at most `limit` (the newest, when there are more); the page's `cursor` passed back returns only lines written after the
 * ones already returned (none twice), so a follower polls with it. A malformed cursor is an
 * InputError naming it.
 */
export interface JobLogs {
  read(jobId: string, options?: { readonly cursor?: string; readonly limit?: number }): Promise<JobLogPage>;
}
