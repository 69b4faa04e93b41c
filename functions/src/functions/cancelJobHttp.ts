import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** POST /api/jobs/{jobId}/cancel: fails a job that has not ended with the reason "cancelled". The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const cancelJobHttp = apiFunction('cancelJob');

app.http('cancelJobHttp', apiRegistration('cancelJob', cancelJobHttp));
