import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}/thumbnails: a video job's before/after frames and stage timings (501 where ffmpeg is missing and none were made yet). The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobThumbnailsHttp = apiFunction('getJobThumbnails');

app.http('getJobThumbnailsHttp', apiRegistration('getJobThumbnails', getJobThumbnailsHttp));
