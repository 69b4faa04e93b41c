import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../config/config.js';
import { InputError } from '../../core/errors.js';

/** Entity names infra creates (infra/main.bicep); the settings below override them. */
export const AZURE_DEFAULTS = Object.freeze({
  workQueue: 'jobs',
  controlQueue: 'control',
  ledgerTable: 'jobledger',
  /** The readings event hub (TESSERA_EVENTHUB_NAME). */
  eventHub: 'readings',
  /** The aggregator's Event Hubs consumer group (TESSERA_EVENTHUB_CONSUMER_GROUP). */
  eventHubConsumerGroup: 'aggregator',
  /** The Event Hubs checkpoints' container in the data storage account (TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER). */
  checkpointContainer: 'checkpoints',
});

/**
 * How a client authenticates, Functions style (`<PREFIX>__credential`): `managedidentity` and
 * `workloadidentity` name one identity by `<PREFIX>__clientId`; absent means DefaultAzureCredential.
 */
export type IdentityKind = 'managedidentity' | 'workloadidentity' | 'default';
export interface Identity {
  readonly kind: IdentityKind;
  readonly clientId: string | undefined;
}

export type StorageConnection =
  | {
      readonly mode: 'identity';
      readonly blobServiceUri: string;
      readonly tableServiceUri: string;
      readonly identity: Identity;
    }
  | { readonly mode: 'connectionString'; readonly connectionString: string };

export type ServiceBusConnection =
  | { readonly mode: 'identity'; readonly fullyQualifiedNamespace: string; readonly identity: Identity }
  | { readonly mode: 'connectionString'; readonly connectionString: string };

export type EventHubsConnection =
  | { readonly mode: 'identity'; readonly fullyQualifiedNamespace: string; readonly identity: Identity }
  | { readonly mode: 'connectionString'; readonly connectionString: string };

/** The sensor stream's event log: present only when TESSERA_EVENTHUBS__fullyQualifiedNamespace (or the emulator string) is set. */
export interface EventHubsSettings {
  /** TESSERA_EVENTHUBS__* (identity) or TESSERA_EVENTHUBS_CONNECTION_STRING (emulators only). */
  readonly connection: EventHubsConnection;
  /** TESSERA_EVENTHUB_NAME. */
  readonly eventHub: string;
  /** TESSERA_EVENTHUB_CONSUMER_GROUP. */
  readonly consumerGroup: string;
  /** TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER, in the data storage account (TESSERA_STORAGE*). */
  readonly checkpointContainer: string;
}

/** The Azure entry points' settings (Functions app, scorer), parsed once; frozen. */
export interface AzureSettings {
  /** The TESSERA_* settings every runtime shares (src/config/config.ts). */
  readonly config: Config;
  /** TESSERA_STORAGE__* (identity) or TESSERA_STORAGE_CONNECTION_STRING (emulators only). */
  readonly storage: StorageConnection;
  /** TESSERA_SERVICEBUS__* (identity) or TESSERA_SERVICEBUS_CONNECTION_STRING (emulators only). */
  readonly serviceBus: ServiceBusConnection;
  /** Shard work, consumed by the scorer workers (TESSERA_WORK_QUEUE). */
  readonly workQueue: string;
  /** Plan and finish messages, consumed by the Functions app (TESSERA_CONTROL_QUEUE). */
  readonly controlQueue: string;
  /** The job ledger's table (TESSERA_LEDGER_TABLE). */
  readonly ledgerTable: string;
  /** The sensor stream's Event Hubs settings; undefined when the stream is not configured. */
  readonly eventHubs: EventHubsSettings | undefined;
  /**
   * Job kinds whose plan and finish run on the scorer workers instead of the Functions app
   * (TESSERA_WORKER_LIFECYCLE_KINDS, default `video`): video planning probes and its finish stitches
   * with ffmpeg, which Flex Consumption does not have and the scorer image does. The control trigger
   * forwards those messages to the work queue.
   */
  readonly workerLifecycleKinds: readonly string[];
  /** Local scratch space (video inputs and segments): TESSERA_HOME if set, else the OS temp dir; never the app's own folder. */
  readonly scratchDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const IDENTITY_KINDS: readonly IdentityKind[] = ['managedidentity', 'workloadidentity'];
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
// Event hub: letters, digits, '.', '-', '_', starting and ending with a letter or digit, at most 256.
const EVENT_HUB_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$/;
// Consumer group: at most 50 characters ($Default included).
const CONSUMER_GROUP = /^(\$Default|[A-Za-z0-9]([A-Za-z0-9._-]{0,48}[A-Za-z0-9])?)$/;
// Blob container: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
/** The settings that only mean something with an Event Hubs namespace (or emulator string). */
const EVENTHUBS_DEPENDENT_KEYS = [
  'TESSERA_EVENTHUBS__credential',
  'TESSERA_EVENTHUBS__clientId',
  'TESSERA_EVENTHUB_NAME',
  'TESSERA_EVENTHUB_CONSUMER_GROUP',
  'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
] as const;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function loadAzureSettings(env: Env = process.env): AzureSettings {
  const config = loadConfig(env);
  return Object.freeze({
    config,
    storage: Object.freeze(storageConnection(env)),
    serviceBus: Object.freeze(serviceBusConnection(env)),
    workQueue: entityName(env, 'TESSERA_WORK_QUEUE', AZURE_DEFAULTS.workQueue, QUEUE_NAME, 'a Service Bus queue name'),
    controlQueue: entityName(
      env,
      'TESSERA_CONTROL_QUEUE',
      AZURE_DEFAULTS.controlQueue,
      QUEUE_NAME,
      'a Service Bus queue name',
    ),
    ledgerTable: entityName(
      env,
      'TESSERA_LEDGER_TABLE',
      AZURE_DEFAULTS.ledgerTable,
      TABLE_NAME,
      '3-63 letters and digits, starting with a letter',
    ),
    eventHubs: eventHubsSettings(env),
    workerLifecycleKinds: Object.freeze(workerLifecycleKinds(env)),
    scratchDir: env.TESSERA_HOME ? join(config.home, 'scratch') : join(tmpdir(), 'tessera'),
  });
}

const LIFECYCLE_KINDS = ['anomaly', 'video', 'stream'];

function workerLifecycleKinds(env: Env): string[] {
  const raw = env.TESSERA_WORKER_LIFECYCLE_KINDS ?? 'video';
  const kinds = raw
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const kind of kinds) {
    if (!LIFECYCLE_KINDS.includes(kind))
      throw new InputError(
        'TESSERA_WORKER_LIFECYCLE_KINDS',
        `"${kind}" is not a job kind (expected a comma-separated list of ${LIFECYCLE_KINDS.join(', ')}, or empty)`,
      );
  }
  return kinds;
}

function storageConnection(env: Env): StorageConnection {
  const connectionString = env.TESSERA_STORAGE_CONNECTION_STRING;
  if (connectionString) {
    emulatorOnly(
      env,
      'TESSERA_STORAGE_CONNECTION_STRING',
      ['TESSERA_STORAGE__blobServiceUri', 'TESSERA_STORAGE__tableServiceUri'],
      /(^|;)\s*(UseDevelopmentStorage=true|AccountName=devstoreaccount1)\s*(;|$)/i,
      'UseDevelopmentStorage=true or the devstoreaccount1 account (Azurite)',
    );
    return { mode: 'connectionString', connectionString };
  }
  return {
    mode: 'identity',
    blobServiceUri: serviceUri(env, 'TESSERA_STORAGE__blobServiceUri', 'TESSERA_STORAGE_CONNECTION_STRING'),
    tableServiceUri: serviceUri(env, 'TESSERA_STORAGE__tableServiceUri', 'TESSERA_STORAGE_CONNECTION_STRING'),
    identity: identity(env, 'TESSERA_STORAGE'),
  };
}

function serviceBusConnection(env: Env): ServiceBusConnection {
  const connectionString = env.TESSERA_SERVICEBUS_CONNECTION_STRING;
  if (connectionString) {
    emulatorOnly(
      env,
      'TESSERA_SERVICEBUS_CONNECTION_STRING',
      ['TESSERA_SERVICEBUS__fullyQualifiedNamespace'],
      /(^|;)\s*UseDevelopmentEmulator=true\s*(;|$)/i,
      'UseDevelopmentEmulator=true (the Service Bus emulator or the test broker)',
    );
    return { mode: 'connectionString', connectionString };
  }
  const key = 'TESSERA_SERVICEBUS__fullyQualifiedNamespace';
  const host = required(env, key, 'TESSERA_SERVICEBUS_CONNECTION_STRING');
  if (!HOST_NAME.test(host))
    throw new InputError(
      key,
      `must be a host name such as sb-x.servicebus.windows.net (no scheme, port or path), got "${host}"`,
    );
  return { mode: 'identity', fullyQualifiedNamespace: host, identity: identity(env, 'TESSERA_SERVICEBUS') };
}

/**
 * All optional as a group: the stream is configured when the namespace (or, for emulators, the
 * connection string) is set; any other Event Hubs setting without one is a partial set, refused
 * naming the missing key.
 */
function eventHubsSettings(env: Env): EventHubsSettings | undefined {
  const namespaceKey = 'TESSERA_EVENTHUBS__fullyQualifiedNamespace';
  const emulatorKey = 'TESSERA_EVENTHUBS_CONNECTION_STRING';
  if (!env[namespaceKey] && !env[emulatorKey]) {
    const partial = EVENTHUBS_DEPENDENT_KEYS.find((k) => env[k]);
    if (partial)
      throw new InputError(
        namespaceKey,
        `is required when ${partial} is set (for a local emulator set ${emulatorKey} instead; unset them all to leave the stream off)`,
      );
    return undefined;
  }
  return Object.freeze({
    connection: Object.freeze(eventHubsConnection(env, namespaceKey, emulatorKey)),
    eventHub: entityName(
      env,
      'TESSERA_EVENTHUB_NAME',
      AZURE_DEFAULTS.eventHub,
      EVENT_HUB_NAME,
      'an event hub name (letters, digits, ".", "-", "_")',
    ),
    consumerGroup: entityName(
      env,
      'TESSERA_EVENTHUB_CONSUMER_GROUP',
      AZURE_DEFAULTS.eventHubConsumerGroup,
      CONSUMER_GROUP,
      'a consumer group name (at most 50 letters, digits, ".", "-", "_")',
    ),
    checkpointContainer: entityName(
      env,
      'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
      AZURE_DEFAULTS.checkpointContainer,
      CONTAINER_NAME,
      'a blob container name (3-63 lowercase letters, digits and hyphens)',
    ),
  });
}

function eventHubsConnection(env: Env, namespaceKey: string, emulatorKey: string): EventHubsConnection {
  const connectionString = env[emulatorKey];
  if (connectionString) {
    emulatorOnly(
      env,
      emulatorKey,
      [namespaceKey],
      /(^|;)\s*UseDevelopmentEmulator=true\s*(;|$)/i,
      'UseDevelopmentEmulator=true (the Event Hubs emulator or the test broker)',
    );
    return { mode: 'connectionString', connectionString };
  }
  const host = env[namespaceKey] ?? '';
  if (!HOST_NAME.test(host))
    throw new InputError(
      namespaceKey,
      `must be a host name such as evhns-x.servicebus.windows.net (no scheme, port or path), got "${host}"`,
    );
  return { mode: 'identity', fullyQualifiedNamespace: host, identity: identity(env, 'TESSERA_EVENTHUBS') };
}

/** Connection strings carry shared keys, which production disables: accept them for emulators only. */
function emulatorOnly(
  env: Env,
  key: string,
  identityKeys: readonly string[],
  emulator: RegExp,
  expected: string,
): void {
  const both = identityKeys.find((k) => env[k]);
  if (both) throw new InputError(key, `set either it (emulators) or ${both} (identity), not both`);
  if (!emulator.test(env[key] ?? ''))
    throw new InputError(
      key,
      `is for local emulators only and must name one: expected ${expected}; use the identity-based settings for Azure`,
    );
}

function identity(env: Env, prefix: string): Identity {
  const credentialKey = `${prefix}__credential`;
  const raw = env[credentialKey];
  const clientId = env[`${prefix}__clientId`] || undefined;
  if (raw === undefined || raw === '') return Object.freeze({ kind: 'default', clientId });
  const kind = raw.toLowerCase() as IdentityKind;
  if (!IDENTITY_KINDS.includes(kind))
    throw new InputError(
      credentialKey,
      `must be ${IDENTITY_KINDS.join(' or ')} (or unset for DefaultAzureCredential), got "${raw}"`,
    );
  return Object.freeze({ kind, clientId });
}

function serviceUri(env: Env, key: string, emulatorKey: string): string {
  const raw = required(env, key, emulatorKey);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(key, `must be an absolute URL such as https://account.blob.core.windows.net, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InputError(key, `must be https (plain http only on loopback), got "${raw}"`);
  }
  return raw;
}

function entityName(env: Env, key: string, fallback: string, pattern: RegExp, rule: string): string {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!pattern.test(raw)) throw new InputError(key, `must be ${rule}, got "${raw}"`);
  return raw;
}

function required(env: Env, key: string, emulatorKey: string): string {
  const raw = env[key];
  if (raw === undefined || raw === '')
    throw new InputError(key, `is required (for a local emulator set ${emulatorKey} instead)`);
  return raw;
}
