import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { InputError } from '../../../src/core/errors.js';
import { CONTAINERS, JOB_OPTION_KEYS } from '../../../src/core/jobNaming.js';
import { submitJob } from '../../../src/usecases/submitJob.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';
import { jsonBody } from '../httpInput.js';
import { errorResponse, json } from '../httpResults.js';
import { uploadToInbox } from '../uploadToInbox.js';

/**
 * POST /api/jobs: submit a job for `{ "container"?, "name" }`, a blob already in storage (container
 * default `inbox`), or for the request body itself with `?name=` (uploaded to the inbox; job
 * options `?model=`, `?fit=`, `?on_shard_error=` travel as its metadata). 202 with the job.
 */
async function submitJobHttpHandler(request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> {
  try {
    const ctx = await contextFor(invocation);
    const upload = request.query.get('name');
    let blob: { container?: string; name: string };
    if (upload !== null) {
      const jobOptions: Record<string, string> = {};
      for (const key of JOB_OPTION_KEYS) {
        const value = request.query.get(key);
        if (value !== null) jobOptions[key] = value;
      }
      const contentType = request.headers.get('content-type') ?? undefined;
      await uploadToInbox(ctx.blobs, upload, Buffer.from(await request.arrayBuffer()), { contentType, jobOptions });
      blob = { container: CONTAINERS.inbox, name: upload };
    } else {
      blob = blobRef(await jsonBody(request));
    }
    const job = await submitJob(ctx.deps, blob);
    return json(202, { job, status: `/api/jobs/${job.jobId}` }, { Location: `/api/jobs/${job.jobId}` });
  } catch (error) {
    return errorResponse(error);
  }
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const submitJobHttp = tracedHandler('http', 'submitJobHttp', submitJobHttpHandler);

function blobRef(body: unknown): { container?: string; name: string } {
  const b = body as { container?: unknown; name?: unknown } | null;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    throw new InputError(
      'request body',
      'must be a JSON object { "container"?, "name" }, or the file itself with ?name=',
    );
  if (typeof b.name !== 'string' || b.name === '')
    throw new InputError('request body "name"', 'must be a non-empty string: the blob to submit');
  if (b.container !== undefined && (typeof b.container !== 'string' || b.container === ''))
    throw new InputError('request body "container"', 'must be a non-empty string when given');
  return b.container === undefined ? { name: b.name } : { container: b.container, name: b.name };
}

app.http('submitJobHttp', {
  methods: ['POST'],
  route: 'jobs',
  authLevel: 'function',
  handler: submitJobHttp,
});
