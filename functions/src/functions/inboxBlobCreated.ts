import { app, type InvocationContext } from '@azure/functions';
import { InputError } from '../../../src/core/errors.js';
import { CONTAINERS } from '../../../src/core/jobNaming.js';
import { submitJob } from '../../../src/usecases/submitJob.js';
import { contextFor } from '../context.js';
import { tracedHandler } from '../tracedHandler.js';

/**
 * A blob landed in `inbox` (Event Grid BlobCreated, no polling): submit its job. The job id comes
 * from the blob's name and ETag, so Event Grid's at-least-once delivery never makes a second job.
 * The blob's bytes the host hands over are not read: submitJob reads the blob's properties itself.
 */
async function inboxBlobCreatedHandler(_blob: unknown, invocation: InvocationContext): Promise<void> {
  const name = invocation.triggerMetadata?.name;
  if (typeof name !== 'string' || name === '')
    throw new InputError('trigger metadata "name"', 'the blob trigger gave no blob name');
  const ctx = await contextFor(invocation);
  const job = await submitJob(ctx.deps, { container: CONTAINERS.inbox, name });
  ctx.log.info('inbox blob submitted', {
    jobId: job.jobId,
    kind: job.kind,
    state: job.state,
    input: `${CONTAINERS.inbox}/${name}`,
  });
}

/** The handler as registered: the invocation in its own span (tracedHandler.ts). */
export const inboxBlobCreated = tracedHandler('datasource', 'inboxBlobCreated', inboxBlobCreatedHandler);

app.storageBlob('inboxBlobCreated', {
  path: `${CONTAINERS.inbox}/{name}`,
  source: 'EventGrid',
  connection: 'TESSERA_STORAGE',
  handler: inboxBlobCreated,
});
