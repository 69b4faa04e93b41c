/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of the jobs API's bodies: the documented,
 * stable shapes. Closed objects (`additionalProperties: false`) where Tessera owns the shape, so the
 * contract test catches a field added or renamed without the document saying so.
 */
const str = { type: 'string' } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const int = { type: 'integer', minimum: 0 } as const;
const num = { type: 'number' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const counts = { type: 'object', additionalProperties: { type: 'number' } } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const closed = (properties: Record<string, unknown>, description?: string) => ({
  type: 'object',
  ...(description ? { description } : {}),
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
});
const list = (key: string, item: unknown, extra: Record<string, unknown> = {}) =>
  closed({ [key]: { type: 'array', items: item }, ...extra });
const jobState = { enum: ['planning', 'running', 'finishing', 'succeeded', 'failed'] } as const;
const shardState = { enum: ['pending', 'running', 'succeeded', 'failed'] } as const;

const Job = closed(
  {
    id: str,
    kind: { type: 'string', description: 'anomaly, video, stream, or unknown (an input no kind takes)' },
    state: jobState,
    createdAt: time,
    updatedAt: time,
    error: strOrNull,
    cancelled: { type: 'boolean' },
    input: closed({
      container: strOrNull,
      name: strOrNull,
      etag: strOrNull,
      size: { type: ['integer', 'null'], minimum: 0, description: 'bytes' },
      tick: { ...strOrNull, description: "a stream run's schedule tick" },
      options: closed({ model: strOrNull, fit: strOrNull, onShardError: strOrNull }),
    }),
    progress: closed({
      shards: closed({ total: int, pending: int, running: int, succeeded: int, failed: int }),
      fraction: { type: 'number', minimum: 0, maximum: 1 },
    }),
    counts,
    attempt: { type: 'integer', minimum: 1 },
    retryOf: strOrNull,
    retriedBy: strOrNull,
  },
  'A job: its state, input, progress and counters. Retries are new attempts with ids `<first id>-<attempt>`.',
);

const Links = { type: 'object', required: ['self'], additionalProperties: str, properties: { self: str } } as const;

const Shard = closed({
  id: str,
  state: shardState,
  attempts: int,
  error: strOrNull,
  updatedAt: time,
  counts,
  series: { oneOf: [{ type: 'null' }, closed({ device: str, tag: strOrNull })] },
  frames: { oneOf: [{ type: 'null' }, closed({ start: int, end: int })] },
});

const JobDetail = closed({
  job: ref('Job'),
  shards: { type: 'array', items: ref('Shard') },
  errors: closed({
    job: strOrNull,
    shards: { type: 'array', items: closed({ shardId: str, reason: str }) },
    rows: { type: 'array', items: closed({ reason: str, count: int, firstLines: { type: 'array', items: int } }) },
  }),
  files: {
    type: 'array',
    items: closed({ name: str, size: int, contentType: strOrNull, updatedAt: time, url: str }),
  },
  summary: {
    type: ['object', 'null'],
    description: 'summary.json once the job has ended (its fields depend on the kind)',
  },
  lineage: closed({
    input: { oneOf: [{ type: 'null' }, closed({ container: str, name: str, etag: str })] },
    models: { type: 'array', items: closed({ series: strOrNull, model: strOrNull, sha256: strOrNull }) },
  }),
  links: ref('Links'),
});

const Series = closed({
  device: str,
  tag: str,
  model: strOrNull,
  windows: closed(
    Object.fromEntries(
      ['start', 'end', 'count', 'mean', 'std', 'min', 'max', 'score', 'label', 'revision'].map((k) => [
        k,
        { type: 'array', items: num },
      ]),
    ),
    'One array per column, index-aligned; start and end in Unix seconds; label -1 marks an anomaly',
  ),
  anomalies: int,
});

const Thumbnail = closed({ frame: int, seconds: num, shardId: str, before: str, after: strOrNull });

const DeadLetter = closed({
  sequenceNumber: int,
  messageId: str,
  subject: strOrNull,
  jobId: strOrNull,
  shardId: strOrNull,
  kind: strOrNull,
  deliveryCount: int,
  enqueuedAt: time,
  deadLetteredAt: time,
  reason: str,
  description: str,
  body: {},
});

const tensor = closed({
  name: str,
  type: str,
  shape: { type: ['array', 'null'], items: { type: ['integer', 'string', 'null'] } },
});
const Model = closed({
  ref: str,
  name: str,
  version: { type: 'integer', minimum: 1 },
  sha256: str,
  size: int,
  createdAt: time,
  tags: { type: 'array', items: str },
  metadata: { type: 'object', additionalProperties: str, description: "the model's own metadata overlaid with `meta`" },
  meta: { type: 'object', additionalProperties: str, description: 'user metadata given at registration' },
  inferred: {
    type: 'object',
    additionalProperties: str,
    description:
      "settings inferred at registration from the model's own metadata (a style model's Image.* keys: color, range, gamma)",
  },
  inputs: { type: 'array', items: tensor },
  outputs: { type: 'array', items: tensor },
});

const DeadLetteredEvent = closed({
  partition: int,
  sequenceNumber: int,
  offset: str,
  enqueuedTime: str,
  partitionKey: strOrNull,
  rejects: {
    type: 'array',
    items: {
      type: 'object',
      required: ['reason', 'detail'],
      properties: { reason: str, detail: str, index: { type: ['integer', 'null'] } },
    },
  },
  body: { type: 'string', description: 'the raw event body, cut at 64 KiB' },
  size: { ...int, description: 'bytes of the whole body' },
});

const ErrorBody = closed({
  error: { type: 'object', required: ['reason'], additionalProperties: false, properties: { input: str, reason: str } },
});

export const SCHEMAS = {
  Error: ErrorBody,
  Job,
  Links,
  JobList: list('jobs', ref('Job')),
  Submitted: closed({ job: ref('Job'), links: ref('Links') }),
  Cancelled: closed({ job: ref('Job') }),
  Shard,
  JobDetail,
  LogPage: closed({
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['time', 'level', 'msg', 'jobId'],
        properties: { time: str, level: str, msg: str, jobId: str },
      },
    },
    cursor: str,
  }),
  Series,
  SeriesList: list('series', ref('Series')),
  Thumbnails: list('thumbnails', ref('Thumbnail'), {
    stagesMs: { type: ['object', 'null'], additionalProperties: num },
  }),
  Thumbnail,
  DeadLetter,
  DeadLetters: list('messages', ref('DeadLetter'), { queue: str }),
  Redriven: closed({ queue: str, redriven: int }),
  DeadLetteredEvents: list('events', ref('DeadLetteredEvent')),
  DeadLetteredEvent,
  EventsRedriven: closed({ redriven: int, refused: { type: 'array', items: str } }),
  Model,
  ModelList: list('models', ref('Model'), { builtin: { type: 'array', items: str } }),
  ModelLookup: closed({ model: { oneOf: [{ type: 'null' }, ref('Model')] }, builtin: { type: 'boolean' } }),
  StreamRuns: list('runs', ref('Job')),
} as const;
