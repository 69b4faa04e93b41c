import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/stream/runs: the sensor stream's scoring runs, newest first. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const listStreamRunsHttp = apiFunction('listStreamRuns');

app.http('listStreamRunsHttp', apiRegistration('listStreamRuns', listStreamRunsHttp));
