import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { loadScorerSettings } from '../../scorer-image/src/scorerSettings.js';

const EMULATORS = {
  TESSERA_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  TESSERA_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://localhost;UseDevelopmentEmulator=true',
};

describe('the scorer settings', () => {
  it('default to one pump, port 8080 and a 240 s drain', () => {
    const s = loadScorerSettings({ ...EMULATORS, HOSTNAME: 'tessera-scorer-abc' });
    expect(s).toMatchObject({ concurrency: 1, healthPort: 8080, drainSeconds: 240, workerId: 'tessera-scorer-abc' });
    expect(s.azure.workQueue).toBe('jobs');
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('take identity-based production settings', () => {
    const s = loadScorerSettings({
      TESSERA_SERVICEBUS__fullyQualifiedNamespace: 'sb-x.servicebus.windows.net',
      TESSERA_SERVICEBUS__credential: 'workloadidentity',
      TESSERA_SERVICEBUS__clientId: 'id',
      TESSERA_STORAGE__blobServiceUri: 'https://st.blob.core.windows.net/',
      TESSERA_STORAGE__tableServiceUri: 'https://st.table.core.windows.net/',
      TESSERA_STORAGE__credential: 'workloadidentity',
      TESSERA_SCORER_CONCURRENCY: '4',
      TESSERA_HEALTH_PORT: '0',
      TESSERA_DRAIN_SECONDS: '30',
      TESSERA_WORKER_ID: 'w1',
    });
    expect(s).toMatchObject({ concurrency: 4, healthPort: 0, drainSeconds: 30, workerId: 'w1' });
    expect(s.azure.serviceBus).toMatchObject({
      mode: 'identity',
      fullyQualifiedNamespace: 'sb-x.servicebus.windows.net',
    });
  });

  it.each([
    ['TESSERA_SCORER_CONCURRENCY', '0'],
    ['TESSERA_SCORER_CONCURRENCY', 'two'],
    ['TESSERA_HEALTH_PORT', '70000'],
    ['TESSERA_DRAIN_SECONDS', '300'],
    ['TESSERA_DRAIN_SECONDS', '1.5'],
  ])('reject %s=%s, naming it', (key, value) => {
    expect(() => loadScorerSettings({ ...EMULATORS, [key]: value })).toThrow(InputError);
    expect(() => loadScorerSettings({ ...EMULATORS, [key]: value })).toThrow(new RegExp(`^${key}: `));
  });

  it('say why the drain bound is capped', () => {
    expect(() => loadScorerSettings({ ...EMULATORS, TESSERA_DRAIN_SECONDS: '295' })).toThrow(
      /termination grace period/,
    );
  });
});
