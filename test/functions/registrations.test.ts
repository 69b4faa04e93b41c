import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/hosting/api/apiRoutes.js';
import { installRecordingCore, type RecordingCore, type Registration } from './support/recordingCore.js';

// Registrations as the Functions host receives them: @azure/functions converts each `app.*` call
// to function metadata and hands it to the worker's core module, recorded here (see recordingCore.ts).
const functionsDir = join(import.meta.dirname, '../../functions/src/functions');
const files = readdirSync(functionsDir)
  .filter((f) => f.endsWith('.ts'))
  .sort();

let core: RecordingCore;
const handlers = new Map<string, unknown>();
beforeAll(async () => {
  core = installRecordingCore();
  for (const file of files) {
    const mod = (await import(join(functionsDir, file))) as Record<string, unknown>;
    const name = file.replace(/\.ts$/, '');
    handlers.set(name, mod[name]);
  }
});
afterAll(() => core.uninstall());

function registration(name: string): Registration {
  const r = core.registrations.get(name);
  if (!r) throw new Error(`${name} was not registered; registered: ${[...core.registrations.keys()].join(', ')}`);
  return r;
}
const triggerOf = (r: Registration) => {
  const inputs = Object.values(r.bindings).filter((b) => b.direction === 'in');
  expect(inputs, r.name).toHaveLength(1);
  return inputs[0]!;
};

describe('function registrations (what the host receives)', () => {
  it("one function per file, named after it, whose callback is the file's exported handler", () => {
    expect(core.programmingModel()).toBeDefined();
    expect([...core.registrations.keys()].sort()).toEqual(files.map((f) => f.replace(/\.ts$/, '')));
    for (const [name, handler] of handlers) {
      expect(typeof handler, name).toBe('function');
      expect(registration(name).callback, name).toBe(handler);
    }
  });

  it('inboxBlobCreated: an Event Grid blob trigger on inbox/{name} over the TESSERA_STORAGE connection', () => {
    const r = registration('inboxBlobCreated');
    expect(triggerOf(r)).toMatchObject({
      type: 'blobTrigger',
      direction: 'in',
      path: 'inbox/{name}',
      source: 'EventGrid',
      connection: 'TESSERA_STORAGE',
    });
    expect(triggerOf(r)['properties']).toEqual({ supportsDeferredBinding: 'false' });
    expect(r.retryOptions).toBeUndefined(); // the blob trigger supports no retry policy: poisonBlobThreshold in host.json
  });

  it('reconcileTimer: every minute, not at startup, no retry policy (the next tick is the retry)', () => {
    const r = registration('reconcileTimer');
    expect(triggerOf(r)).toMatchObject({
      type: 'timerTrigger',
      direction: 'in',
      schedule: '0 */1 * * * *',
      runOnStartup: false,
      useMonitor: true,
    });
    expect(r.retryOptions).toBeUndefined();
  });

  it('controlQueue: a Service Bus trigger on the control queue setting, one message at a time, host-settled', () => {
    const r = registration('controlQueue');
    expect(triggerOf(r)).toMatchObject({
      type: 'serviceBusTrigger',
      direction: 'in',
      queueName: '%TESSERA_CONTROL_QUEUE%',
      connection: 'TESSERA_SERVICEBUS',
      cardinality: 'one',
      autoCompleteMessages: true,
    });
    expect(triggerOf(r)['isSessionsEnabled']).toBeUndefined();
    expect(r.retryOptions).toBeUndefined(); // no retry policy on Service Bus: redelivery up to maxDeliveryCount
  });

  it('one HTTP function per API route, named <operationId>Http: its method and path under /api, anonymous to the host (App Service authentication fronts it)', () => {
    for (const route of API_ROUTES) {
      const r = registration(`${route.operationId}Http`);
      expect(triggerOf(r), r.name).toMatchObject({
        type: 'httpTrigger',
        direction: 'in',
        authLevel: 'anonymous',
        methods: [route.method],
        route: route.path.slice(1),
      });
      expect(Object.values(r.bindings).filter((b) => b.direction === 'out')).toEqual([
        expect.objectContaining({ type: 'http', direction: 'out' }),
      ]);
    }
    expect(triggerOf(registration('dashboardHttp'))).toMatchObject({
      type: 'httpTrigger',
      methods: ['GET'],
      route: 'dashboard/{*path}',
    });
  });

  it('every trigger names an identity-based connection prefix the infra sets (no connection strings)', () => {
    for (const r of core.registrations.values()) {
      const connection = triggerOf(r)['connection'];
      if (connection !== undefined)
        expect(['TESSERA_STORAGE', 'TESSERA_SERVICEBUS', 'TESSERA_EVENTHUBS'], r.name).toContain(connection);
    }
  });
});
