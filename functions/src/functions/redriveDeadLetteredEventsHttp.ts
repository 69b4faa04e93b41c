import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** POST /api/deadletters/events/redrive with `{"refs":["P:SEQ",…]}` or `{"all":true}`: appends them to the event log again. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const redriveDeadLetteredEventsHttp = apiFunction('redriveDeadLetteredEvents');

app.http('redriveDeadLetteredEventsHttp', apiRegistration('redriveDeadLetteredEvents', redriveDeadLetteredEventsHttp));
