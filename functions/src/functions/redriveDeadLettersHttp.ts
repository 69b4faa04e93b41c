import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** POST /api/deadletters/redrive?queue=jobs|control with `{"sequenceNumbers":[…]}` or `{"all":true}`: sends dead letters back; their shards and jobs go back to pending and running. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const redriveDeadLettersHttp = apiFunction('redriveDeadLetters');

app.http('redriveDeadLettersHttp', apiRegistration('redriveDeadLetters', redriveDeadLettersHttp));
