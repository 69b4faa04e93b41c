import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/models/{ref}: resolves `name`, `name@3` or `name@tag`. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getModelHttp = apiFunction('getModel');

app.http('getModelHttp', apiRegistration('getModel', getModelHttp));
