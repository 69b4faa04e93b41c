import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs?state=&kind=&limit=: jobs, newest first, each with its progress. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const listJobsHttp = apiFunction('listJobs');

app.http('listJobsHttp', apiRegistration('listJobs', listJobsHttp));
