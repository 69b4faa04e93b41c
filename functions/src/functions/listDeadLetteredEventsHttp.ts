import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/deadletters/events: stream events the aggregator refused, with their reasons. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const listDeadLetteredEventsHttp = apiFunction('listDeadLetteredEvents');

app.http('listDeadLetteredEventsHttp', apiRegistration('listDeadLetteredEvents', listDeadLetteredEventsHttp));
