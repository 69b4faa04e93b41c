import { NotAvailableError } from '../../usecases/operator/notAvailableError.js';
import { readSeries } from '../../usecases/operator/seriesView.js';
import { openThumbnail, videoThumbnails } from '../../usecases/operator/videoThumbnails.js';
import { intQuery, textQuery } from './apiInput.js';
import { json, type ApiRoute } from './apiTypes.js';
import { jobIdParam } from './jobRoutes.js';
import { API_ROOT } from './links.js';

/** GET /jobs/{jobId}/series?device=&tag=: an anomaly job's or stream run's scored windows, per series, as columns. */
export const getJobSeries: ApiRoute = {
  operationId: 'getJobSeries',
  method: 'GET',
  path: '/jobs/{jobId}/series',
  async handle(ports, request, params) {
    const jobId = jobIdParam(params);
    const device = textQuery(request, 'device');
    const tag = textQuery(request, 'tag');
    const series = await readSeries(ports.jobs.blobs, jobId, {
      ...(device === undefined ? {} : { device }),
      ...(tag === undefined ? {} : { tag }),
    });
    return json(200, { series });
  },
};

/** GET /jobs/{jobId}/thumbnails: a video job's before/after frames of several ranges (made on first request), and its stage timings. */
export const getJobThumbnails: ApiRoute = {
  operationId: 'getJobThumbnails',
  method: 'GET',
  path: '/jobs/{jobId}/thumbnails',
  async handle(ports, _request, params) {
    const jobId = jobIdParam(params);
    const { thumbnails, stagesMs } = await videoThumbnails(
      { ledger: ports.jobs.ledger, blobs: ports.jobs.blobs, ...(ports.frames ? { frames: ports.frames } : {}) },
      jobId,
    );
    const url = (file: string | null) => (file === null ? null : `${API_ROOT}/jobs/${jobId}/thumbnails/${file}`);
    return json(200, {
      thumbnails: thumbnails.map((t) => ({ ...t, before: url(t.before), after: url(t.after) })),
      stagesMs,
    });
  },
};

export const getJobThumbnail: ApiRoute = {
  operationId: 'getJobThumbnail',
  method: 'GET',
  path: '/jobs/{jobId}/thumbnails/{file}',
  async handle(ports, _request, params) {
    const { stream, properties } = await openThumbnail(ports.jobs.blobs, jobIdParam(params), params.file ?? '');
    return {
      status: 200,
      stream,
      contentType: 'image/jpeg',
      size: properties.size,
      headers: { ETag: properties.etag },
    };
  },
};

/** GET /jobs/{jobId}/logs?cursor=&limit=: the job's structured log lines, and a cursor to follow them. */
export const getJobLogs: ApiRoute = {
  operationId: 'getJobLogs',
  method: 'GET',
  path: '/jobs/{jobId}/logs',
  async handle(ports, request, params) {
    const jobId = jobIdParam(params);
    if (!ports.logs)
      throw new NotAvailableError(
        `per-job logs of this deployment are in Application Insights: traces | where customDimensions.jobId == "${jobId}"`,
      );
    if (!(await ports.jobs.ledger.getJob(jobId))) return json(404, { error: { reason: `job ${jobId} not found` } });
    const cursor = textQuery(request, 'cursor');
    const page = await ports.logs.read(jobId, {
      limit: intQuery(request, 'limit', 10_000, 1, 100_000),
      ...(cursor === undefined ? {} : { cursor }),
    });
    return json(200, page);
  },
};
