import { SCHEMAS } from './openapiSchemas.js';

const body = (schema: string, description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), body('Error', ERROR_TEXT[c] ?? 'error')]));
const ERROR_TEXT: Record<number, string> = {
  400: 'bad input: `error.input` names it, `error.reason` says why',
  401: 'no or bad credentials',
  404: 'no such job, file, model or route',
  409: "the job's state refuses it (cancel an ended job, retry one that did not fail), or an upload's name holds other content",
  501: 'this deployment cannot do it (e.g. per-job logs on Azure live in Application Insights); the reason says where to look',
  503: 'storage or broker failed transiently: retry after `Retry-After` seconds',
};
const param = (
  name: string,
  where: 'path' | 'query',
  description: string,
  schema: Record<string, unknown> = { type: 'string' },
) => ({
  name,
  in: where,
  required: where === 'path',
  description,
  schema,
});
const jobId = param(
  'jobId',
  'path',
  'the job id (`j…` for a file, `s…` for a stream run, `-N` suffix for retry attempt N)',
);
const queue = param('queue', 'query', 'which queue: `jobs` (default) or, on Azure, `control`');
const file = (description: string, type: string) => ({
  description,
  content: { [type]: { schema: { type: 'string', format: 'binary' } } },
});

/**
 * The jobs API's OpenAPI 3.1 document, served at `/api/openapi.json` by both servers (the local
 * runtime's, the Functions app's), and the contract test/hosting/apiContract.test.ts holds them to.
 */
export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Tessera jobs API',
    version: '1.0.0',
    description:
      'Jobs, their progress, results, logs and dead letters; the same routes and shapes from `tessera up` (loopback, bearer token from `$TESSERA_HOME/api.token`) and from the Azure Functions app (Entra ID through App Service authentication).',
  },
  servers: [
    { url: 'http://127.0.0.1:7433/api', description: '`tessera up` (TESSERA_PORT)' },
    {
      url: 'https://{app}.azurewebsites.net/api',
      description: 'the Functions app',
      variables: { app: { default: 'func-tessera' } },
    },
  ],
  security: [{ bearer: [] }],
  paths: {
    '/jobs': {
      get: {
        operationId: 'listJobs',
        summary: 'Jobs, newest first',
        parameters: [
          param('state', 'query', 'only jobs in this state', {
            enum: ['planning', 'running', 'finishing', 'succeeded', 'failed'],
          }),
          param('kind', 'query', 'only jobs of this kind (anomaly, video, stream, unknown)'),
          param('limit', 'query', 'at most this many (1-1000, default 100)', {
            type: 'integer',
            minimum: 1,
            maximum: 1000,
          }),
        ],
        responses: { '200': body('JobList', 'the jobs'), ...errors(400, 401, 503) },
      },
      post: {
        operationId: 'submitJob',
        summary: 'Submit a blob already in storage, or upload a file into the inbox and submit it',
        parameters: [
          param('name', 'query', 'upload the body under this inbox name (inputs are never overwritten)'),
          param('model', 'query', 'job option: the style model of a video job'),
          param('fit', 'query', 'job option: stretch or letterbox'),
          param('on_shard_error', 'query', 'job option: fail or passthrough'),
        ],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name'],
                properties: { container: { type: 'string' }, name: { type: 'string' } },
              },
            },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '202': body('Submitted', 'the job (its newest attempt, when it was retried)'),
          ...errors(400, 401, 409, 503),
        },
      },
    },
    '/jobs/{jobId}': {
      get: {
        operationId: 'getJob',
        summary: 'A job with its progress, shards, errors, result files, summary and lineage',
        parameters: [jobId],
        responses: { '200': body('JobDetail', 'the job'), ...errors(400, 401, 404, 503) },
      },
    },
    '/jobs/{jobId}/cancel': {
      post: {
        operationId: 'cancelJob',
        summary: 'Cancel a job that has not ended: it fails with the reason "cancelled"; queued shards skip their work',
        parameters: [jobId],
        responses: { '200': body('Cancelled', 'the cancelled job'), ...errors(400, 401, 404, 409, 503) },
      },
    },
    '/jobs/{jobId}/retry': {
      post: {
        operationId: 'retryJob',
        summary: 'Run a failed job again over the same input version, as a new attempt (`<first id>-<n>`)',
        parameters: [jobId],
        responses: { '202': body('Submitted', 'the new attempt'), ...errors(400, 401, 404, 409, 503) },
      },
    },
    '/jobs/{jobId}/files/{name}': {
      get: {
        operationId: 'getJobFile',
        summary: 'Download a result file',
        parameters: [jobId, param('name', 'path', 'the file name, as `files[].name` lists it')],
        responses: { '200': file('the file', 'application/octet-stream'), ...errors(400, 401, 404) },
      },
    },
    '/jobs/{jobId}/logs': {
      get: {
        operationId: 'getJobLogs',
        summary: "The job's structured log lines, oldest first, and a cursor that returns only newer ones",
        parameters: [
          jobId,
          param('cursor', 'query', 'from a previous page'),
          param('limit', 'query', 'at most this many (the newest)', { type: 'integer', minimum: 1 }),
        ],
        responses: { '200': body('LogPage', 'log lines'), ...errors(400, 401, 404, 501) },
      },
    },
    '/jobs/{jobId}/series': {
      get: {
        operationId: 'getJobSeries',
        summary: "An anomaly job's or stream run's scored windows per series, as columns to plot",
        parameters: [jobId, param('device', 'query', 'only this device'), param('tag', 'query', 'only this tag')],
        responses: { '200': body('SeriesList', 'the series'), ...errors(400, 401, 404) },
      },
    },
    '/jobs/{jobId}/thumbnails': {
      get: {
        operationId: 'getJobThumbnails',
        summary:
          "A video job's before/after frames from several ranges (made with ffmpeg on the first request), and its stage timings",
        parameters: [jobId],
        responses: { '200': body('Thumbnails', 'thumbnails'), ...errors(400, 401, 404, 501) },
      },
    },
    '/jobs/{jobId}/thumbnails/{file}': {
      get: {
        operationId: 'getJobThumbnail',
        summary: 'One thumbnail image',
        parameters: [jobId, param('file', 'path', '`<frame>-before.jpg` or `<frame>-after.jpg`')],
        responses: { '200': file('a JPEG image', 'image/jpeg'), ...errors(400, 401, 404) },
      },
    },
    '/deadletters': {
      get: {
        operationId: 'listDeadLetters',
        summary: 'Dead-lettered messages, in sequence order, without removing them',
        parameters: [
          queue,
          param('from', 'query', 'from this sequence number', { type: 'integer', minimum: 0 }),
          param('limit', 'query', '1-1000, default 100', { type: 'integer' }),
        ],
        responses: { '200': body('DeadLetters', 'dead letters'), ...errors(400, 401, 503) },
      },
    },
    '/deadletters/redrive': {
      post: {
        operationId: 'redriveDeadLetters',
        summary:
          'Send dead letters back once their cause is fixed; their shards and jobs go back to pending and running',
        parameters: [queue],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  {
                    type: 'object',
                    required: ['sequenceNumbers'],
                    properties: {
                      sequenceNumbers: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
                    },
                  },
                  { type: 'object', required: ['all'], properties: { all: { const: true } } },
                ],
              },
            },
          },
        },
        responses: { '200': body('Redriven', 'how many were moved'), ...errors(400, 401, 503) },
      },
    },
    '/deadletters/events': {
      get: {
        operationId: 'listDeadLetteredEvents',
        summary: 'Stream events the aggregator refused, with their reasons',
        parameters: [param('limit', 'query', '1-1000, default 100', { type: 'integer' })],
        responses: { '200': body('DeadLetteredEvents', 'dead-lettered events'), ...errors(400, 401) },
      },
    },
    '/deadletters/events/redrive': {
      post: {
        operationId: 'redriveDeadLetteredEvents',
        summary: 'Append dead-lettered events to the event log again',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  refs: { type: 'array', items: { type: 'string', pattern: '^\\d+:\\d+$' } },
                  all: { const: true },
                },
              },
            },
          },
        },
        responses: {
          '200': body('EventsRedriven', 'how many were appended, and which were refused'),
          ...errors(400, 401, 501),
        },
      },
    },
    '/models': {
      get: {
        operationId: 'listModels',
        summary: 'Registered model versions, and the built-in ones',
        parameters: [param('name', 'query', 'only versions of this model')],
        responses: { '200': body('ModelList', 'models'), ...errors(400, 401) },
      },
    },
    '/models/{ref}': {
      get: {
        operationId: 'getModel',
        summary: 'Resolve `name`, `name@3` or `name@tag`',
        parameters: [param('ref', 'path', 'a model reference')],
        responses: { '200': body('ModelLookup', 'the version it resolves to'), ...errors(400, 401, 404) },
      },
    },
    '/stream/runs': {
      get: {
        operationId: 'listStreamRuns',
        summary: "The sensor stream's scheduled scoring runs, newest first",
        parameters: [param('limit', 'query', '1-1000, default 50', { type: 'integer' })],
        responses: { '200': body('StreamRuns', 'runs'), ...errors(400, 401) },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'the OpenAPI document' } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          'Locally: the token in `$TESSERA_HOME/api.token` (the dashboard gets it as a cookie from the link `tessera up` prints). On Azure: an Entra ID access token for the API app registration, validated by App Service authentication in front of the Functions app.',
      },
    },
    schemas: SCHEMAS,
  },
} as const;
