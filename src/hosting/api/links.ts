import type { JobView } from '../../usecases/operator/jobView.js';

/** Where the jobs API lives below a server's origin (both servers: the Functions app's route prefix is `api`). */
export const API_ROOT = '/api';

/** The API's links of a job: itself, and what it offers by kind. */
export function jobLinks(job: Pick<JobView, 'id' | 'kind'>): Record<string, string> {
  const self = `${API_ROOT}/jobs/${job.id}`;
  return {
    self,
    logs: `${self}/logs`,
    cancel: `${self}/cancel`,
    retry: `${self}/retry`,
    ...(job.kind === 'video' ? { thumbnails: `${self}/thumbnails` } : {}),
    ...(job.kind === 'anomaly' || job.kind === 'stream' ? { series: `${self}/series` } : {}),
  };
}
