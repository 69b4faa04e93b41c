import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/models?name=: registered model versions and the built-in ones. The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const listModelsHttp = apiFunction('listModels');

app.http('listModelsHttp', apiRegistration('listModels', listModelsHttp));
