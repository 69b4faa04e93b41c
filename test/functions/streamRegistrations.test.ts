import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRecordingCore, type RecordingCore, type Registration } from './support/recordingCore.js';

// The stream functions' registrations as the host receives them (see registrations.test.ts for the
// others). A file of its own: @azure/functions looks the core module up once per process.
const functionsDir = join(import.meta.dirname, '../../functions/src/functions');

let core: RecordingCore;
const handlers = new Map<string, unknown>();
beforeAll(async () => {
  delete process.env['TESSERA_SCORE_CRON']; // the default schedule
  core = installRecordingCore();
  for (const name of ['readingsEventHub', 'scoreTimer'])
    handlers.set(name, ((await import(join(functionsDir, `${name}.ts`))) as Record<string, unknown>)[name]);
});
afterAll(() => core.uninstall());

const registration = (name: string): Registration => {
  const r = core.registrations.get(name);
  if (!r) throw new Error(`${name} was not registered`);
  return r;
};
const triggerOf = (r: Registration) => {
  const inputs = Object.values(r.bindings).filter((b) => b.direction === 'in');
  expect(inputs, r.name).toHaveLength(1);
  return inputs[0]!;
};
const BACKOFF = { strategy: 'exponentialBackoff', maxRetryCount: 5 };

describe('stream function registrations (what the host receives)', () => {
  it('readingsEventHub: an Event Hubs trigger, batches (cardinality many), the consumer group of setting TESSERA_EVENTHUB_CONSUMER_GROUP, identity connection TESSERA_EVENTHUBS, exponential backoff', () => {
    const r = registration('readingsEventHub');
    expect(r.callback).toBe(handlers.get('readingsEventHub'));
    expect(triggerOf(r)).toMatchObject({
      type: 'eventHubTrigger',
      direction: 'in',
      eventHubName: '%TESSERA_EVENTHUB_NAME%',
      consumerGroup: '%TESSERA_EVENTHUB_CONSUMER_GROUP%',
      connection: 'TESSERA_EVENTHUBS',
      cardinality: 'many',
    });
    expect(r.retryOptions).toMatchObject(BACKOFF);
  });

  it('scoreTimer: a timer on TESSERA_SCORE_CRON in its six-field NCRONTAB form (hourly by default), not on startup, with exponential backoff', () => {
    const r = registration('scoreTimer');
    expect(r.callback).toBe(handlers.get('scoreTimer'));
    expect(triggerOf(r)).toMatchObject({
      type: 'timerTrigger',
      direction: 'in',
      schedule: '0 0 * * * *',
      runOnStartup: false,
      useMonitor: true,
    });
    expect(r.retryOptions).toMatchObject(BACKOFF);
  });

  it('both retry 5 times, from 1 s up to 60 s apart, as the host receives it', () => {
    const expected = {
      strategy: 'exponentialBackoff',
      retryStrategy: 'exponentialBackoff',
      maxRetryCount: 5,
      minimumInterval: { seconds: 1 },
      maximumInterval: { seconds: 60 },
    };
    expect(registration('readingsEventHub').retryOptions).toEqual(expected);
    expect(registration('scoreTimer').retryOptions).toEqual(expected);
  });
});
