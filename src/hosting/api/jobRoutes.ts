import { InputError, NotFoundError } from '../../core/errors.js';
import { CONTAINERS, JOB_OPTION_KEYS } from '../../core/jobNaming.js';
import type { JobState } from '../../ports/jobLedger.js';
import { submitJob } from '../../usecases/submitJob.js';
import { cancelJob } from '../../usecases/operator/cancelJob.js';
import { getJobDetail } from '../../usecases/operator/jobDetailView.js';
import { jobView, listJobViews } from '../../usecases/operator/jobView.js';
import { openResultFile } from '../../usecases/operator/resultFiles.js';
import { latestAttempt, retryJob } from '../../usecases/operator/retryJob.js';
import { uploadInput } from '../../usecases/operator/uploadInput.js';
import { intQuery, jsonBody, oneOfQuery, spoolUpload, textQuery } from './apiInput.js';
import { json, type ApiPorts, type ApiRoute, type RouteParams } from './apiTypes.js';
import { API_ROOT, jobLinks } from './links.js';

export const JOB_STATES: readonly JobState[] = ['planning', 'running', 'finishing', 'succeeded', 'failed'];
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The `{jobId}` path parameter, checked. */
export function jobIdParam(params: RouteParams): string {
  const jobId = params.jobId ?? '';
  if (!JOB_ID.test(jobId))
    throw new InputError('jobId', `must be 1-128 characters of [A-Za-z0-9._:-], got "${jobId.slice(0, 140)}"`);
  return jobId;
}

async function viewOf(ports: ApiPorts, jobId: string) {
  const job = await ports.jobs.ledger.getJob(jobId);
  if (!job) throw new NotFoundError(`job ${jobId}`);
  return jobView(job, await ports.jobs.ledger.countShards(jobId));
}

export const listJobs: ApiRoute = {
  operationId: 'listJobs',
  method: 'GET',
  path: '/jobs',
  async handle(ports, request) {
    const state = oneOfQuery(request, 'state', JOB_STATES);
    const kind = textQuery(request, 'kind');
    const limit = intQuery(request, 'limit', 100, 1, 1000);
    const jobs = await listJobViews(ports.jobs.ledger, {
      limit,
      ...(state ? { state } : {}),
      ...(kind ? { kind } : {}),
    });
    return json(200, { jobs });
  },
};

export const getJob: ApiRoute = {
  operationId: 'getJob',
  method: 'GET',
  path: '/jobs/{jobId}',
  async handle(ports, _request, params) {
    const detail = await getJobDetail(ports.jobs, jobIdParam(params));
    const id = detail.job.id;
    return json(200, {
      ...detail,
      files: detail.files.map((f) => ({ ...f, url: `${API_ROOT}/jobs/${id}/files/${encodeURIComponent(f.name)}` })),
      links: jobLinks(detail.job),
    });
  },
};

/**
 * POST /jobs: `{ "container"?, "name" }` of a blob already in storage, or the file itself as the
 * body with `?name=` (and the job options `?model=`, `?fit=`, `?on_shard_error=`), put in the inbox.
 * Answers 202 with the job; a job of the same blob version that was retried answers its newest attempt.
 */
export const submitJobRoute: ApiRoute = {
  operationId: 'submitJob',
  method: 'POST',
  path: '/jobs',
  async handle(ports, request) {
    const upload = textQuery(request, 'name');
    let blob: { container?: string; name: string };
    if (upload !== undefined) {
      const jobOptions: Record<string, string> = {};
      for (const key of JOB_OPTION_KEYS) {
        const value = textQuery(request, key);
        if (value !== undefined) jobOptions[key] = value;
      }
      const received = await spoolUpload(request, ports.scratchDir, ports.maxUploadBytes);
      try {
        const contentType = request.header('content-type');
        await uploadInput(ports.jobs.blobs, upload, received, { jobOptions, ...(contentType ? { contentType } : {}) });
      } finally {
        await received.discard();
      }
      blob = { container: CONTAINERS.inbox, name: upload };
    } else blob = blobRef(await jsonBody(request));
    const submitted = await submitJob(ports.jobs, blob);
    const job = await latestAttempt(ports.jobs.ledger, submitted);
    const view = await viewOf(ports, job.jobId);
    return json(202, { job: view, links: jobLinks(view) }, { Location: `${API_ROOT}/jobs/${job.jobId}` });
  },
};

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

export const cancelJobRoute: ApiRoute = {
  operationId: 'cancelJob',
  method: 'POST',
  path: '/jobs/{jobId}/cancel',
  async handle(ports, _request, params) {
    const job = await cancelJob(ports.jobs, jobIdParam(params));
    return json(200, { job: await viewOf(ports, job.jobId) });
  },
};

export const retryJobRoute: ApiRoute = {
  operationId: 'retryJob',
  method: 'POST',
  path: '/jobs/{jobId}/retry',
  async handle(ports, _request, params) {
    const job = await retryJob(ports.jobs, jobIdParam(params));
    const view = await viewOf(ports, job.jobId);
    return json(202, { job: view, links: jobLinks(view) }, { Location: `${API_ROOT}/jobs/${job.jobId}` });
  },
};

export const getJobFile: ApiRoute = {
  operationId: 'getJobFile',
  method: 'GET',
  path: '/jobs/{jobId}/files/{name}',
  async handle(ports, _request, params) {
    const jobId = jobIdParam(params);
    const name = params.name ?? '';
    const { stream, properties } = await openResultFile(ports.jobs.blobs, jobId, name);
    return {
      status: 200,
      stream,
      contentType: properties.contentType ?? 'application/octet-stream',
      size: properties.size,
      headers: { 'Content-Disposition': `attachment; filename="${name.replace(/"/g, '')}"`, ETag: properties.etag },
    };
  },
};
