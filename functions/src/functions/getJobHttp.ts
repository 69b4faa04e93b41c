import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { InputError, NotFoundError } from '../../../src/core/errors.js';
import { CONTAINERS, resultBlobName } from '../../../src/core/jobNaming.js';
import type { BlobStore } from '../../../src/ports/blobStore.js';
import { TERMINAL_JOB_STATES } from '../../../src/ports/jobLedger.js';
import { getJobProgress } from '../../../src/usecases/jobStatus.js';
import { readBlobText } from '../../../src/usecases/readBlobText.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { errorResponse, json } from '../httpResults.js';

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** GET /api/jobs/{jobId}: the job, its shard counts and failed shards, and its summary.json once it has ended. */
async function getJobHttpHandler(request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> {
  try {
    const jobId = request.params.jobId ?? '';
    if (!JOB_ID.test(jobId))
      throw new InputError('jobId', `must be 1-128 characters of [A-Za-z0-9._:-], got "${jobId.slice(0, 140)}"`);
    const ctx = await contextFor(invocation);
    const progress = await getJobProgress(ctx.ledger, jobId);
    if (!progress) return json(404, { error: { input: 'jobId', reason: `no job ${jobId}` } });
    const summary = TERMINAL_JOB_STATES.includes(progress.job.state) ? await readSummary(ctx.blobs, jobId) : undefined;
    return json(200, { ...progress, ...(summary === undefined ? {} : { summary }) });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const getJobHttp = tracedHandler('http', 'getJobHttp', getJobHttpHandler);

/** summary.json, or undefined when the job ended without one (it failed at planning). */
async function readSummary(blobs: BlobStore, jobId: string): Promise<unknown> {
  try {
    return JSON.parse(await readBlobText(blobs, CONTAINERS.results, resultBlobName(jobId, 'summary.json'))) as unknown;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

app.http('getJobHttp', {
  methods: ['GET'],
  route: 'jobs/{jobId}',
  authLevel: 'function',
  handler: getJobHttp,
});
