import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}/series?device=&tag=: scored windows per series, as columns to plot. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobSeriesHttp = apiFunction('getJobSeries');

app.http('getJobSeriesHttp', apiRegistration('getJobSeries', getJobSeriesHttp));
