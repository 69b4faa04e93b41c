import { app } from '@azure/functions';
import { apiFunction, apiRegistration } from '../apiFunction.js';

/** GET /api/openapi.json: the API's OpenAPI 3.1 document (no authentication). The handler is the shared route's (src/hosting/api); see ../apiFunction.ts for authentication. */
export const getOpenApiHttp = apiFunction('getOpenApi');

app.http('getOpenApiHttp', apiRegistration('getOpenApi', getOpenApiHttp));
