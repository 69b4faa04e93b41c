import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { AZURE_DEFAULTS, loadAzureSettings } from '../../src/composition/azure/azureConfig.js';
import { credentialFor, openAzureContext, openAzureEventLog } from '../../src/composition/azure/azureContext.js';
import { InputError } from '../../src/core/errors.js';
import { createRecordingLogger } from '../../src/hosting/logger.js';

/** What infra sets on the Function App (infra/main.bicep functionsSettings), identity-based. */
const IDENTITY = {
  TESSERA_STORAGE__blobServiceUri: 'https://sttessera.blob.core.windows.net/',
  TESSERA_STORAGE__tableServiceUri: 'https://sttessera.table.core.windows.net/',
  TESSERA_STORAGE__credential: 'managedidentity',
  TESSERA_STORAGE__clientId: '00000000-0000-0000-0000-00000000000a',
  TESSERA_SERVICEBUS__fullyQualifiedNamespace: 'sb-tessera.servicebus.windows.net',
  TESSERA_SERVICEBUS__credential: 'managedidentity',
  TESSERA_SERVICEBUS__clientId: '00000000-0000-0000-0000-00000000000a',
};
/** The sensor stream's settings infra adds (optional as a group). */
const EVENTHUBS = {
  TESSERA_EVENTHUBS__fullyQualifiedNamespace: 'evhns-tessera.servicebus.windows.net',
  TESSERA_EVENTHUBS__credential: 'managedidentity',
  TESSERA_EVENTHUBS__clientId: '00000000-0000-0000-0000-00000000000a',
  TESSERA_EVENTHUB_NAME: 'readings',
  TESSERA_EVENTHUB_CONSUMER_GROUP: 'aggregator',
  TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER: 'checkpoints',
};
const EVENTHUBS_EMULATOR =
  'Endpoint=sb://127.0.0.1:5673/;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true';
const EMULATORS = {
  TESSERA_STORAGE_CONNECTION_STRING:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;',
  TESSERA_SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true',
};

function rejects(env: Record<string, string>, key: string, reason: string | RegExp): void {
  let thrown: unknown;
  try {
    loadAzureSettings(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `${key} should be rejected`).toBeInstanceOf(InputError);
  expect((thrown as InputError).input).toBe(key);
  expect((thrown as InputError).message).toMatch(reason);
}

describe('loadAzureSettings', () => {
  it('parses the identity-based settings infra sets, with the entity names infra creates, frozen', () => {
    const s = loadAzureSettings({ ...IDENTITY, TESSERA_LOCK_MS: '60000' });
    expect(s.storage).toEqual({
      mode: 'identity',
      blobServiceUri: IDENTITY.TESSERA_STORAGE__blobServiceUri,
      tableServiceUri: IDENTITY.TESSERA_STORAGE__tableServiceUri,
      identity: { kind: 'managedidentity', clientId: IDENTITY.TESSERA_STORAGE__clientId },
    });
    expect(s.serviceBus).toEqual({
      mode: 'identity',
      fullyQualifiedNamespace: 'sb-tessera.servicebus.windows.net',
      identity: { kind: 'managedidentity', clientId: IDENTITY.TESSERA_SERVICEBUS__clientId },
    });
    expect(s).toMatchObject({
      workQueue: 'jobs',
      controlQueue: 'control',
      ledgerTable: 'jobledger',
      config: { lockDurationMs: 60_000 },
    });
    expect(AZURE_DEFAULTS).toEqual({
      workQueue: 'jobs',
      controlQueue: 'control',
      ledgerTable: 'jobledger',
      eventHub: 'readings',
      eventHubConsumerGroup: 'aggregator',
      checkpointContainer: 'checkpoints',
    });
    // The stream is optional: without any Event Hubs setting it is simply not configured.
    expect(s.eventHubs).toBeUndefined();
    expect(Object.isFrozen(s) && Object.isFrozen(s.storage) && Object.isFrozen(s.config)).toBe(true);
    expect(loadAzureSettings({ ...IDENTITY, TESSERA_STORAGE__credential: '' }).storage).toMatchObject({
      identity: { kind: 'default' },
    });
    expect(
      loadAzureSettings({
        ...IDENTITY,
        TESSERA_WORK_QUEUE: 'w',
        TESSERA_CONTROL_QUEUE: 'c',
        TESSERA_LEDGER_TABLE: 'ledger2',
      }),
    ).toMatchObject({ workQueue: 'w', controlQueue: 'c', ledgerTable: 'ledger2' });
  });

  it('accepts emulator connection strings instead (Azurite, the Service Bus emulator or the test broker)', () => {
    const s = loadAzureSettings(EMULATORS);
    expect(s.storage).toEqual({
      mode: 'connectionString',
      connectionString: EMULATORS.TESSERA_STORAGE_CONNECTION_STRING,
    });
    expect(s.serviceBus.mode).toBe('connectionString');
    expect(
      loadAzureSettings({ ...EMULATORS, TESSERA_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).storage.mode,
    ).toBe('connectionString');
  });

  it('video plan and finish run on the scorers by default; TESSERA_WORKER_LIFECYCLE_KINDS changes which, and names a kind it does not know', () => {
    expect(loadAzureSettings(IDENTITY).workerLifecycleKinds).toEqual(['video']);
    expect(
      loadAzureSettings({ ...IDENTITY, TESSERA_WORKER_LIFECYCLE_KINDS: 'video, anomaly' }).workerLifecycleKinds,
    ).toEqual(['video', 'anomaly']);
    expect(loadAzureSettings({ ...IDENTITY, TESSERA_WORKER_LIFECYCLE_KINDS: '' }).workerLifecycleKinds).toEqual([]);
    expect(() => loadAzureSettings({ ...IDENTITY, TESSERA_WORKER_LIFECYCLE_KINDS: 'video,audio' })).toThrow(
      /TESSERA_WORKER_LIFECYCLE_KINDS.*"audio" is not a job kind/,
    );
  });

  it('names the missing or bad key and why', () => {
    const without = (key: keyof typeof IDENTITY) =>
      Object.fromEntries(Object.entries(IDENTITY).filter(([k]) => k !== key));
    rejects(
      without('TESSERA_STORAGE__blobServiceUri'),
      'TESSERA_STORAGE__blobServiceUri',
      /is required \(for a local emulator set TESSERA_STORAGE_CONNECTION_STRING instead\)/,
    );
    rejects(
      without('TESSERA_SERVICEBUS__fullyQualifiedNamespace'),
      'TESSERA_SERVICEBUS__fullyQualifiedNamespace',
      /is required/,
    );
    rejects(
      { ...IDENTITY, TESSERA_SERVICEBUS__fullyQualifiedNamespace: 'sb://sb-tessera.servicebus.windows.net/' },
      'TESSERA_SERVICEBUS__fullyQualifiedNamespace',
      /must be a host name/,
    );
    rejects(
      { ...IDENTITY, TESSERA_STORAGE__tableServiceUri: 'http://sttessera.table.core.windows.net/' },
      'TESSERA_STORAGE__tableServiceUri',
      /must be https/,
    );
    rejects(
      { ...IDENTITY, TESSERA_STORAGE__blobServiceUri: 'not a url' },
      'TESSERA_STORAGE__blobServiceUri',
      /must be an absolute URL/,
    );
    rejects(
      { ...IDENTITY, TESSERA_SERVICEBUS__credential: 'connectionstring' },
      'TESSERA_SERVICEBUS__credential',
      /must be managedidentity or workloadidentity/,
    );
    rejects(
      { ...IDENTITY, TESSERA_CONTROL_QUEUE: 'no spaces' },
      'TESSERA_CONTROL_QUEUE',
      /must be a Service Bus queue name/,
    );
    rejects({ ...IDENTITY, TESSERA_LEDGER_TABLE: 'job-ledger' }, 'TESSERA_LEDGER_TABLE', /letters and digits/);
    rejects({ ...IDENTITY, TESSERA_MAX_DELIVERIES: '0' }, 'TESSERA_MAX_DELIVERIES', /integer from 1 to 100/);
    rejects(
      {
        ...EMULATORS,
        TESSERA_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5',
      },
      'TESSERA_STORAGE_CONNECTION_STRING',
      /local emulators only/,
    );
    rejects(
      {
        ...EMULATORS,
        TESSERA_SERVICEBUS_CONNECTION_STRING:
          'Endpoint=sb://sb-tessera.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5',
      },
      'TESSERA_SERVICEBUS_CONNECTION_STRING',
      /local emulators only/,
    );
    rejects({ ...IDENTITY, ...EMULATORS }, 'TESSERA_STORAGE_CONNECTION_STRING', /not both/);
  });
});

describe('loadAzureSettings: the sensor stream (Event Hubs)', () => {
  it('parses the identity-based Event Hubs settings infra sets, frozen', () => {
    const s = loadAzureSettings({ ...IDENTITY, ...EVENTHUBS });
    expect(s.eventHubs).toEqual({
      connection: {
        mode: 'identity',
        fullyQualifiedNamespace: 'evhns-tessera.servicebus.windows.net',
        identity: { kind: 'managedidentity', clientId: EVENTHUBS.TESSERA_EVENTHUBS__clientId },
      },
      eventHub: 'readings',
      consumerGroup: 'aggregator',
      checkpointContainer: 'checkpoints',
    });
    expect(Object.isFrozen(s.eventHubs) && Object.isFrozen(s.eventHubs?.connection)).toBe(true);
    // The namespace alone is enough: the names default to what infra creates.
    expect(
      loadAzureSettings({ ...IDENTITY, TESSERA_EVENTHUBS__fullyQualifiedNamespace: 'evhns-x.servicebus.windows.net' })
        .eventHubs,
    ).toMatchObject({
      connection: { identity: { kind: 'default', clientId: undefined } },
      eventHub: AZURE_DEFAULTS.eventHub,
      consumerGroup: AZURE_DEFAULTS.eventHubConsumerGroup,
      checkpointContainer: AZURE_DEFAULTS.checkpointContainer,
    });
    expect(
      loadAzureSettings({
        ...IDENTITY,
        ...EVENTHUBS,
        TESSERA_EVENTHUB_NAME: 'readings-2',
        TESSERA_EVENTHUB_CONSUMER_GROUP: '$Default',
        TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER: 'eh-checkpoints',
      }).eventHubs,
    ).toMatchObject({ eventHub: 'readings-2', consumerGroup: '$Default', checkpointContainer: 'eh-checkpoints' });
  });

  it('accepts an emulator connection string instead, with the flag', () => {
    const s = loadAzureSettings({ ...EMULATORS, TESSERA_EVENTHUBS_CONNECTION_STRING: EVENTHUBS_EMULATOR });
    expect(s.eventHubs).toEqual({
      connection: { mode: 'connectionString', connectionString: EVENTHUBS_EMULATOR },
      eventHub: 'readings',
      consumerGroup: 'aggregator',
      checkpointContainer: 'checkpoints',
    });
  });

  it('refuses a partial set, naming the missing key', () => {
    for (const key of [
      'TESSERA_EVENTHUBS__credential',
      'TESSERA_EVENTHUBS__clientId',
      'TESSERA_EVENTHUB_NAME',
      'TESSERA_EVENTHUB_CONSUMER_GROUP',
      'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
    ] as const) {
      rejects(
        { ...IDENTITY, [key]: EVENTHUBS[key] },
        'TESSERA_EVENTHUBS__fullyQualifiedNamespace',
        new RegExp(`is required when ${key} is set`),
      );
    }
    const { TESSERA_EVENTHUBS__fullyQualifiedNamespace: _namespace, ...withoutNamespace } = EVENTHUBS;
    rejects(
      { ...IDENTITY, ...withoutNamespace },
      'TESSERA_EVENTHUBS__fullyQualifiedNamespace',
      /is required when .* \(for a local emulator set TESSERA_EVENTHUBS_CONNECTION_STRING instead/,
    );
  });

  it('names the bad key and why', () => {
    rejects(
      {
        ...IDENTITY,
        ...EVENTHUBS,
        TESSERA_EVENTHUBS__fullyQualifiedNamespace: 'sb://evhns-tessera.servicebus.windows.net/',
      },
      'TESSERA_EVENTHUBS__fullyQualifiedNamespace',
      /must be a host name/,
    );
    rejects(
      { ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUBS__credential: 'sas' },
      'TESSERA_EVENTHUBS__credential',
      /must be managedidentity or workloadidentity/,
    );
    rejects(
      { ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUB_NAME: 'no spaces' },
      'TESSERA_EVENTHUB_NAME',
      /must be an event hub name/,
    );
    rejects(
      { ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUB_CONSUMER_GROUP: 'x'.repeat(51) },
      'TESSERA_EVENTHUB_CONSUMER_GROUP',
      /must be a consumer group name/,
    );
    rejects(
      { ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER: 'Checkpoints' },
      'TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER',
      /must be a blob container name/,
    );
  });

  it('refuses emulator connection strings without UseDevelopmentEmulator=true, or beside the namespace', () => {
    rejects(
      {
        ...EMULATORS,
        TESSERA_EVENTHUBS_CONNECTION_STRING:
          'Endpoint=sb://evhns-tessera.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5',
      },
      'TESSERA_EVENTHUBS_CONNECTION_STRING',
      /local emulators only/,
    );
    rejects(
      {
        ...EMULATORS,
        TESSERA_EVENTHUBS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1:5673/;UseDevelopmentEmulator=false',
      },
      'TESSERA_EVENTHUBS_CONNECTION_STRING',
      /local emulators only/,
    );
    rejects(
      { ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUBS_CONNECTION_STRING: EVENTHUBS_EMULATOR },
      'TESSERA_EVENTHUBS_CONNECTION_STRING',
      /not both/,
    );
  });
});

describe('credentials for the Azure context', () => {
  /** A fake TokenCredential: never asked here (nothing is sent), never a DefaultAzureCredential. */
  const fake: TokenCredential = {
    getToken: (): Promise<AccessToken> => Promise.reject(new Error('no token in tests')),
  };

  it('credentialFor needs none for emulators, refuses two identities, and builds the managed identity lazily', async () => {
    expect(await credentialFor(loadAzureSettings(EMULATORS))).toBeUndefined();
    await expect(
      credentialFor(loadAzureSettings({ ...IDENTITY, TESSERA_SERVICEBUS__clientId: 'other' })),
    ).rejects.toThrow(/TESSERA_SERVICEBUS__credential\/__clientId: must name the same identity/);
    // Constructing a ManagedIdentityCredential sends nothing; no token is asked for here.
    expect(await credentialFor(loadAzureSettings(IDENTITY))).toBeInstanceOf(ManagedIdentityCredential);
    // The Event Hubs identity is the process's one identity too.
    expect(await credentialFor(loadAzureSettings({ ...IDENTITY, ...EVENTHUBS }))).toBeInstanceOf(
      ManagedIdentityCredential,
    );
    await expect(
      credentialFor(loadAzureSettings({ ...IDENTITY, ...EVENTHUBS, TESSERA_EVENTHUBS__clientId: 'other' })),
    ).rejects.toThrow(/TESSERA_EVENTHUBS__credential\/__clientId: must name the same identity/);
  });

  it('openAzureEventLog opens nothing when the stream is not configured, and needs a credential for identity', async () => {
    expect(await openAzureEventLog(loadAzureSettings(IDENTITY), fake)).toBeUndefined();
    await expect(openAzureEventLog(loadAzureSettings({ ...IDENTITY, ...EVENTHUBS }), undefined)).rejects.toThrow(
      /identity-based connection needs a TokenCredential/,
    );
  });

  it('openAzureContext builds identity-based clients from an injected credential, and refuses to without one', async () => {
    const settings = loadAzureSettings(IDENTITY);
    expect(() => openAzureContext(settings, undefined, createRecordingLogger())).toThrow(
      /TESSERA_STORAGE__blobServiceUri: identity-based connection needs a TokenCredential/,
    );
    const ctx = openAzureContext(settings, fake, createRecordingLogger());
    expect(ctx).toMatchObject({
      queue: { name: 'jobs' },
      control: { name: 'control' },
      deps: { queue: ctx.queue, control: ctx.control },
      video: { control: ctx.control },
    });
    // An invocation's view logs elsewhere but shares the ports, the model caches and the sessions.
    const other = createRecordingLogger();
    const view = ctx.withLog(other);
    expect(view.deps.log).toBe(other);
    expect(view.video.log).toBe(other);
    expect(view.queue).toBe(ctx.queue);
    expect(view.deps.scorer).toBe(ctx.deps.scorer);
    expect(view.deps.models).toBe(ctx.deps.models);
    expect(view.video.styles).toBe(ctx.video.styles);
    expect(view.engine).toBe(ctx.engine);
    await ctx.close();
  });
});
