import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}/files/{name}: downloads one result file. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobFileHttp = apiFunction('getJobFile');

app.http('getJobFileHttp', apiRegistration('getJobFile', getJobFileHttp));
