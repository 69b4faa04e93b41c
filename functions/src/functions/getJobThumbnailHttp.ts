import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/jobs/{jobId}/thumbnails/{file}: one thumbnail image. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getJobThumbnailHttp = apiFunction('getJobThumbnail');

app.http('getJobThumbnailHttp', apiRegistration('getJobThumbnail', getJobThumbnailHttp));
