import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}: the job with its progress, shards, errors, result files (with links), summary and lineage. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobHttp = apiFunction('getJob');

app.http('getJobHttp', apiRegistration('getJob', getJobHttp));
