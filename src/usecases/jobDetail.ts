import type { JobRecord, JsonValue } from '../ports/jobLedger.js';

/** A job's detail as an object (empty when it holds none), to extend in a patch. */
export function detailOf(job: JobRecord): Record<string, JsonValue> {
  return job.detail !== null && typeof job.detail === 'object' && !Array.isArray(job.detail) ? job.detail : {};
}
