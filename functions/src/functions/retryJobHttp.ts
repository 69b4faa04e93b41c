import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** POST /api/jobs/{jobId}/retry: runs a failed job again over the same input version, as a new attempt. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const retryJobHttp = apiFunction('retryJob');

app.http('retryJobHttp', apiRegistration('retryJob', retryJobHttp));
