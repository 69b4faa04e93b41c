import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** POST /api/jobs: submits a blob already in storage (`{"container"?, "name"}`), or uploads the body with `?name=` into the inbox (job options `?model=`, `?fit=`, `?on_shard_error=`); 202 with the job. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const submitJobHttp = apiFunction('submitJob');

app.http('submitJobHttp', apiRegistration('submitJob', submitJobHttp));
