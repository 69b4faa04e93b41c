import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/deadletters?queue=jobs|control&from=&limit=: the dead-letter subqueue, in sequence order, without removing anything. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const listDeadLettersHttp = apiFunction('listDeadLetters');

app.http('listDeadLettersHttp', apiRegistration('listDeadLetters', listDeadLettersHttp));
