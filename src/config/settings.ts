import { configToEnv, loadConfig } from './config.js';

/** Who reads a setting. */
export type SettingScope = 'all' | 'local' | 'cli' | 'azure' | 'scorer' | 'deploy';

export interface SettingDoc {
  readonly name: string;
  readonly scope: SettingScope;
  readonly meaning: string;
  /** The default when it is not the configuration's own (`configToEnv(loadConfig({}))`): a text. */
  readonly default?: string;
}

const s = (name: string, scope: SettingScope, meaning: string, fallback?: string): SettingDoc =>
  fallback === undefined ? { name, scope, meaning } : { name, scope, meaning, default: fallback };

/**
 * Every TESSERA_* setting, once: what it means and who reads it. The README's reference table is
 * generated from this list (`npm run docs:settings`, scripts/settings-reference.ts), and
 * test/config/settingsReference.test.ts fails when a setting read anywhere is missing here, when a
 * default here disagrees with the parsers, or when the README's table is out of date.
 */
export const SETTINGS: readonly SettingDoc[] = [
  s(
    'TESSERA_HOME',
    'all',
    "embedded-runtime state: `blobs/`, `queue.sqlite`, `ledger.sqlite`, `logs/`, `api.token`; on Azure, the scratch directory's parent (else the OS temp dir)",
    '`./.tessera`',
  ),
  s(
    'TESSERA_WORKERS',
    'all',
    'worker processes of the local runtime (`tessera up --workers`); on every runtime, the workers a plan spreads a job over (anomaly shards, no-model video ranges)',
    '2 to 4 (the cores)',
  ),
  s(
    'TESSERA_PORT',
    'local',
    "loopback port of `tessera up`'s server: dashboard, jobs API, `/metrics`, readings (`POST /events`); the same on every start; 0 picks a free one",
  ),
  s(
    'TESSERA_INGEST_PORT',
    'local',
    "loopback port of the readings endpoint of an embedded runtime without `tessera up`'s server (`tessera run`); 0 picks a free one",
  ),
  s('TESSERA_MODEL_PATTERN', 'all', 'the model of a series; `{device}` and `{tag}` are substituted'),
  s(
    'TESSERA_WINDOWS_PER_SHARD',
    'all',
    "windows per shard span of an anomaly job; `auto` (0) sizes shards to the work (each series' span chosen from the first 64k rows and the file's size: about two shards per worker, at most 1 M rows each)",
    '`auto`',
  ),
  s(
    'TESSERA_PLAN_BUFFER_ROWS',
    'all',
    "rows the planner buffers (16 bytes each) before writing parts: bounds the planner's memory",
  ),
  s('TESSERA_ERROR_BUDGET', 'all', 'fraction of bad rows a job tolerates before it fails at planning'),
  s(
    'TESSERA_MIN_TIMESTAMP',
    'all',
    'the earliest event time a batch file may hold; a row before it is rejected as `timestamp out of range` (years 0000-0099 are parsed exactly, never as 19xx)',
  ),
  s(
    'TESSERA_MAX_TIMESTAMP',
    'all',
    'the end (exclusive) of the event times a batch file may hold; a row at or after it is rejected as `timestamp out of range`',
  ),
  s(
    'TESSERA_LOCK_MS',
    'all',
    "peek-lock duration (renewed every third of it while a shard runs); on Azure, both queues' lock",
  ),
  s('TESSERA_MAX_DELIVERIES', 'all', 'deliveries before a message is dead-lettered'),
  s(
    'TESSERA_RETRY_BASE_MS',
    'all',
    'redelivery delay after a transient failure, doubling per delivery (each a random point in the upper half of its step): with 5 deliveries a transient error is retried for 2 to 4 minutes before it is dead-lettered',
  ),
  s('TESSERA_RETRY_MAX_MS', 'all', 'the most that redelivery delay grows to'),
  s('TESSERA_BATCH_ROWS', 'all', 'rows per onnxruntime call'),
  s('TESSERA_OPTIMIZE_MODELS', 'all', 'rewrite `ai.onnx.ml` SVM graphs into standard ops at load'),
  s('TESSERA_POLL_MS', 'local', 'idle poll interval of the watchers and workers'),
  s('TESSERA_LOG_LEVEL', 'all', 'JSON log lines at this level and above: debug, info, warn, error'),
  s('TESSERA_FAULT_SHARD_DELAY_MS', 'all', 'chaos testing only: a worker sleeps this long inside every shard'),
  s('TESSERA_VIDEO_MODEL', 'all', 'style model of a video job that names none (`toon` is built in)'),
  s('TESSERA_VIDEO_SHARD_SECONDS', 'all', "seconds of video per frame range (a no-model job's ranges: at least this)"),
  s('TESSERA_VIDEO_MAX_SHARD_FRAMES', 'all', 'cap on frames per range'),
  s('TESSERA_VIDEO_FIT', 'all', 'how frames meet a fixed-size model: stretch or letterbox'),
  s('TESSERA_VIDEO_CRF', 'all', 'x264 quality of the segments'),
  s('TESSERA_VIDEO_PRESET', 'all', 'x264 speed preset of the segments'),
  s('TESSERA_VIDEO_BATCH', 'all', 'frames per model run'),
  s('TESSERA_VIDEO_THREADS', 'all', "onnxruntime threads per style session; 0 is onnxruntime's choice"),
  s(
    'TESSERA_VIDEO_FFMPEG_THREADS',
    'all',
    'threads of each ffmpeg decoder and encoder; 0 lets ffmpeg choose',
    'cores ÷ workers, at least 1',
  ),
  s(
    'TESSERA_VIDEO_ON_SHARD_ERROR',
    'all',
    'a range that fails for good fails the job (`fail`) or passes its frames through unstyled (`passthrough`)',
  ),
  s('TESSERA_VIDEO_MAX_PIXELS', 'all', 'largest frame (width × height) a video job takes'),
  s('TESSERA_VIDEO_MAX_SECONDS', 'all', 'longest video a job takes'),
  s('TESSERA_VIDEO_MAX_BYTES', 'all', 'largest video file a job takes (and the largest upload `tessera up` takes)'),
  s('TESSERA_VIDEO_CONTAINERS', 'all', 'containers a video job takes, as ffprobe names them (comma-separated)'),
  s('TESSERA_VIDEO_CODECS', 'all', 'video codecs a video job takes (comma-separated)'),
  s(
    'TESSERA_EP',
    'all',
    'execution provider of the style models: cpu, cuda, tensorrt or webgpu (checked by a self-test at start)',
  ),
  s(
    'TESSERA_SCORE_CRON',
    'all',
    "when stream runs score the closed windows (UTC): five fields, Azure Functions' six-field NCRONTAB form (seconds first), month and weekday names, or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`; checked only by `up` and the timer Function",
  ),
  s('TESSERA_STREAM_PARTITIONS', 'local', 'partitions of the local event log'),
  s('TESSERA_STREAM_CONSUMER_GROUP', 'local', "the aggregator's consumer group on the local event log"),
  s('TESSERA_STREAM_WINDOW_SECONDS', 'all', 'stream window size'),
  s('TESSERA_STREAM_HOP_SECONDS', 'all', 'hop of hopping windows; 0 means tumbling'),
  s('TESSERA_STREAM_OUT_OF_ORDER_MS', 'all', 'watermark lag behind the newest event of a partition'),
  s(
    'TESSERA_STREAM_LATE_MS',
    'all',
    'late-arrival tolerance: a later event within it revises its closed window (revision 2, 3…)',
  ),
  s(
    'TESSERA_STREAM_LATE_POLICY',
    'all',
    'a reading later than that: `adjust` (its time moved up to the tolerance) or `drop`; counted either way',
  ),
  s(
    'TESSERA_STREAM_MAX_PAST_SECONDS',
    'all',
    "event times further in the past than this are dead-lettered (the stream's past horizon)",
  ),
  s(
    'TESSERA_STREAM_BACKFILL_MAX_PAST_SECONDS',
    'all',
    'the past horizon of readings marked `"backfill": true` (history sent on purpose: they keep their own times)',
  ),
  s(
    'TESSERA_INGEST_HOST',
    'local',
    "address of the readings endpoint of its own: `tessera run`'s, and `tessera up`'s besides its server when it is beyond loopback (which needs TESSERA_INGEST_TOKEN)",
  ),
  s('TESSERA_INGEST_TOKEN', 'local', 'bearer token every `POST /events` must carry; required beyond loopback', 'unset'),
  s(
    'TESSERA_CRASH_AT',
    'local',
    'tests only: crash points (`when:operation[:pattern]`, e.g. `after:put:work/*/out/*`; src/composition/local/crashPoints.ts) where a worker or the aggregator kills itself once',
    'unset',
  ),
  s(
    'TESSERA_COMPILED_CHILDREN',
    'local',
    'tests only: `1` makes worker processes and style-session threads started from the TypeScript sources run the build in dist/ instead of the sources through tsx (the test suite sets it and builds dist/ first)',
    'unset',
  ),
  s(
    'TESSERA_STREAM_MAX_FUTURE_SECONDS',
    'all',
    "event times further in the future than this are dead-lettered (the stream's future horizon)",
  ),
  s(
    'TESSERA_REMOTE',
    'cli',
    "a server the CLI sends its commands to instead of the local files (`--remote` wins): `tessera up`'s URL or the Functions app's",
    'unset (local)',
  ),
  s(
    'TESSERA_REMOTE_SCOPE',
    'cli',
    'the Entra ID scope the CLI asks a token for when the remote is not loopback, e.g. `api://tessera-api/.default`',
    'unset',
  ),
  s(
    'TESSERA_TOKEN',
    'cli',
    'a bearer token the CLI sends as it is (instead of the local token file or an Entra ID token)',
    'unset',
  ),
  s('TESSERA_DEBUG', 'cli', 'set: the CLI prints the stack trace of an unexpected error', 'unset'),
  s(
    'TESSERA_TELEMETRY',
    'all',
    '`off`, `console`, `otlp`, `azure-monitor`; auto = Azure Monitor with `APPLICATIONINSIGHTS_CONNECTION_STRING`, OTLP with `OTEL_EXPORTER_OTLP_ENDPOINT`, else off',
    '`auto`',
  ),
  s('TESSERA_TRACE_SAMPLE_RATIO', 'all', 'share of new traces kept (parent-based)', '1'),
  s('TESSERA_TELEMETRY_METRICS_MS', 'all', 'metric export interval', '60000'),
  s(
    'TESSERA_WORKER_ID',
    'all',
    "names a worker in its log lines (set by the local runtime per worker; the scorer's pod name by default)",
    'the slot, or the host name',
  ),
  s(
    'TESSERA_STORAGE__blobServiceUri',
    'azure',
    'Blob endpoint of the data storage account (identity connection)',
    'required on Azure',
  ),
  s(
    'TESSERA_STORAGE__tableServiceUri',
    'azure',
    'Table endpoint of the data storage account (the job ledger)',
    'required on Azure',
  ),
  s(
    'TESSERA_STORAGE__queueServiceUri',
    'azure',
    "Queue endpoint of the data storage account: the Functions host's blob trigger connection (`TESSERA_STORAGE`) needs it; Tessera's code does not read it",
    'set by infra',
  ),
  s(
    'TESSERA_STORAGE__credential',
    'azure',
    '`managedidentity` or `workloadidentity`; unset: DefaultAzureCredential',
    'unset',
  ),
  s('TESSERA_STORAGE__clientId', 'azure', 'client id of the user-assigned identity', 'unset'),
  s(
    'TESSERA_STORAGE_CONNECTION_STRING',
    'azure',
    'emulators only (Azurite): instead of the identity settings',
    'unset',
  ),
  s('TESSERA_SERVICEBUS__fullyQualifiedNamespace', 'azure', 'the Service Bus namespace host', 'required on Azure'),
  s('TESSERA_SERVICEBUS__credential', 'azure', 'as `TESSERA_STORAGE__credential` (one identity per process)', 'unset'),
  s('TESSERA_SERVICEBUS__clientId', 'azure', 'as `TESSERA_STORAGE__clientId`', 'unset'),
  s('TESSERA_SERVICEBUS_CONNECTION_STRING', 'azure', 'emulators and the test broker only', 'unset'),
  s(
    'TESSERA_EVENTHUBS__fullyQualifiedNamespace',
    'azure',
    'the Event Hubs namespace host; unset: the sensor stream is not configured',
    'unset',
  ),
  s('TESSERA_EVENTHUBS__credential', 'azure', 'as `TESSERA_STORAGE__credential`', 'unset'),
  s('TESSERA_EVENTHUBS__clientId', 'azure', 'as `TESSERA_STORAGE__clientId`', 'unset'),
  s('TESSERA_EVENTHUBS_CONNECTION_STRING', 'azure', 'emulators only', 'unset'),
  s('TESSERA_EVENTHUB_NAME', 'azure', 'the readings event hub', '`readings`'),
  s('TESSERA_EVENTHUB_CONSUMER_GROUP', 'azure', "the aggregator's consumer group", '`aggregator`'),
  s(
    'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
    'azure',
    "the aggregator's checkpoints, in the data storage account",
    '`checkpoints`',
  ),
  s('TESSERA_WORK_QUEUE', 'azure', 'the Service Bus queue of shard work (the scorers consume it)', '`jobs`'),
  s(
    'TESSERA_CONTROL_QUEUE',
    'azure',
    'the Service Bus queue of plan and finish messages (the Functions app consumes it)',
    '`control`',
  ),
  s('TESSERA_LEDGER_TABLE', 'azure', "the job ledger's table", '`jobledger`'),
  s(
    'TESSERA_WORKER_LIFECYCLE_KINDS',
    'azure',
    'job kinds whose plan and finish run on the scorers, not the Functions app (they need ffmpeg)',
    '`video`',
  ),
  s('TESSERA_SCORER_CONCURRENCY', 'scorer', 'concurrent message pumps of a scorer pod on the `jobs` queue', '1'),
  s(
    'TESSERA_HEALTH_PORT',
    'scorer',
    "port of the scorer's `/healthz`, `/readyz` and `/metrics`; 0 picks a free one",
    '8080',
  ),
  s(
    'TESSERA_DRAIN_SECONDS',
    'scorer',
    "how long SIGTERM waits for in-flight shards before abandoning them (under the pod's 300 s grace)",
    '240',
  ),
  s(
    'TESSERA_GPU_VM_SIZE',
    'deploy',
    '`azd env` setting: the VM size of the GPU node pool',
    '`Standard_NC24ads_A100_v4`',
  ),
  s(
    'TESSERA_API_CLIENT_ID',
    'deploy',
    "`azd env` setting: the Entra ID application of the jobs API (App Service authentication's audience); until set, the API answers 401 to every call",
    'unset',
  ),
  s(
    'TESSERA_PRIVATE_NETWORKING',
    'deploy',
    '`azd env` setting: private endpoints and a VNet for every service (infra/README.md says what it costs)',
    '`false`',
  ),
  s(
    'TESSERA_INBOX_FUNCTION',
    'deploy',
    '`azd env` setting: the function the inbox Event Grid subscription targets',
    '`inboxBlobCreated`',
  ),
];

const SCOPES: Record<SettingScope, string> = {
  all: 'every runtime',
  local: 'local runtime',
  cli: 'CLI',
  azure: 'Azure (Functions, scorer)',
  scorer: 'scorer (AKS)',
  deploy: '`azd` deployment',
};

/** A setting's default as the table shows it: the configuration's own, or the catalog's text. */
export function defaultOf(doc: SettingDoc, defaults = configToEnv(loadConfig({}))): string {
  if (doc.default !== undefined) return doc.default;
  const value = defaults[doc.name];
  if (value === undefined) throw new Error(`${doc.name}: no default in the configuration and none in the catalog`);
  return `\`${value}\``;
}

/** The reference table (Markdown) the README carries between its `settings` markers. */
export function settingsTable(): string {
  const defaults = configToEnv(loadConfig({}));
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = SETTINGS.map(
    (d) => `| \`${d.name}\` | ${SCOPES[d.scope]} | ${cell(defaultOf(d, defaults))} | ${cell(d.meaning)} |`,
  );
  return ['| variable | read by | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

const START = '<!-- settings:start (generated by `npm run docs:settings` from src/config/settings.ts; do not edit) -->';
const END = '<!-- settings:end -->';

/** `readme` with the generated table between its settings markers; throws when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the README has no settings markers (${START} … ${END})`);
  return `${readme.slice(0, start + START.length)}\n\n${settingsTable()}\n\n${readme.slice(end)}`;
}
