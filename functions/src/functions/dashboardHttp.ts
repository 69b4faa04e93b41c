import { createReadStream } from 'node:fs';
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { dashboardFile } from '../../../src/hosting/dashboardFiles.js';
import { tracedHandler } from '../tracedHandler.js';

/**
 * GET /api/dashboard/{*path}: the dashboard's static files (dashboard/ at the repository root,
 * copied into dist/dashboard by the build, with uPlot from node_modules), beside the API it calls
 * at /api. They hold no data; App Service authentication still fronts them, so a browser signs in
 * (RedirectToLoginPage) before the page's API calls carry its session.
 */
function dashboardHttpHandler(request: HttpRequest): HttpResponseInit {
  const file = dashboardFile(request.params.path ?? '');
  if (!file) return { status: 404, body: `no such page: ${request.params.path ?? ''}\n` };
  return {
    status: 200,
    body: createReadStream(file.path),
    headers: {
      'Content-Type': file.contentType,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    },
  };
}

export const dashboardHttp = tracedHandler('http', 'dashboardHttp', (request: HttpRequest) =>
  Promise.resolve(dashboardHttpHandler(request)),
);

app.http('dashboardHttp', {
  methods: ['GET'],
  route: 'dashboard/{*path}',
  authLevel: 'anonymous',
  handler: dashboardHttp,
});
