import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { JobState } from '../../../src/ports/jobLedger.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { intQuery, oneOfQuery } from '../httpInput.js';
import { errorResponse, json } from '../httpResults.js';

const STATES: readonly JobState[] = ['planning', 'running', 'finishing', 'succeeded', 'failed'];

/** GET /api/jobs?state=&kind=&limit=: jobs, newest first (limit 1 to 1000, default 100). */
async function listJobsHttpHandler(request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> {
  try {
    const state = oneOfQuery(request, 'state', STATES);
    const kind = request.query.get('kind') || undefined;
    const limit = intQuery(request, 'limit', 100, 1, 1000);
    const ctx = await contextFor(invocation);
    const jobs = await ctx.ledger.listJobs({ limit, ...(state ? { state } : {}), ...(kind ? { kind } : {}) });
    return json(200, { jobs });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const listJobsHttp = tracedHandler('http', 'listJobsHttp', listJobsHttpHandler);

app.http('listJobsHttp', {
  methods: ['GET'],
  route: 'jobs',
  authLevel: 'function',
  handler: listJobsHttp,
});
