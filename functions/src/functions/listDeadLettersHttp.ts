import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { intQuery, queueQuery } from '../httpInput.js';
import { errorResponse, json } from '../httpResults.js';

/**
 * GET /api/deadletters?queue=jobs|control&from=&limit=: the dead-letter subqueue, in sequence order,
 * without removing anything (limit 1 to 1000, default 100; `from` a sequence number).
 */
async function listDeadLettersHttpHandler(
  request: HttpRequest,
  invocation: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const ctx = await contextFor(invocation);
    const queue = queueQuery(request, ctx);
    const fromSequenceNumber = intQuery(request, 'from', 0, 0, Number.MAX_SAFE_INTEGER);
    const maxMessages = intQuery(request, 'limit', 100, 1, 1000);
    const messages = await queue.peekDeadLetters({ maxMessages, fromSequenceNumber });
    return json(200, { queue: queue.name, messages });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const listDeadLettersHttp = tracedHandler('http', 'listDeadLettersHttp', listDeadLettersHttpHandler);

app.http('listDeadLettersHttp', {
  methods: ['GET'],
  route: 'deadletters',
  authLevel: 'function',
  handler: listDeadLettersHttp,
});
