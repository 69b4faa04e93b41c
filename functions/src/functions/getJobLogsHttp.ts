import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}/logs: 501 here, naming the Application Insights query that has the job's log lines. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobLogsHttp = apiFunction('getJobLogs');

app.http('getJobLogsHttp', apiRegistration('getJobLogs', getJobLogsHttp));
