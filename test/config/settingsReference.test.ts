import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScorerSettings } from '../../scorer-image/src/scorerSettings.js';
import { AZURE_DEFAULTS } from '../../src/composition/azure/azureConfig.js';
import { configToEnv, loadConfig } from '../../src/config/config.js';
import { defaultOf, SETTINGS, withSettingsTable } from '../../src/config/settings.js';
import { telemetrySettingsOf } from '../../src/telemetry/setup.js';

const ROOT = join(import.meta.dirname, '../..');
/** Where settings are read or set: the sources of every runtime, the entry points, the deployment. */
const READERS = ['src', 'functions/src', 'host.json', 'scorer-image', 'bin', 'infra', 'scripts', 'azure.yaml'];
const SKIP = new Set(['node_modules', 'dist', 'settings.ts']);

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full).flatMap((name) => (SKIP.has(name) ? [] : files(join(path, name))));
}

/** Every TESSERA_* name in the readers, with the files that mention it (a trailing `_` or `*` is a family). */
function mentioned(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const file of READERS.flatMap(files)) {
    for (const [token] of readFileSync(file, 'utf8').matchAll(/TESSERA_[A-Za-z0-9_]*[A-Za-z0-9]/g)) {
      names.set(token, [...(names.get(token) ?? []), relative(ROOT, file)]);
    }
  }
  return names;
}

describe('the settings reference (src/config/settings.ts → the README)', () => {
  it('the README carries the table as generated: run `npm run docs:settings` after changing a setting', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('names every TESSERA_* setting any part of Tessera reads or sets, and nothing no part reads', () => {
    const documented = SETTINGS.map((s) => s.name);
    expect(new Set(documented).size).toBe(documented.length);
    const found = mentioned();
    // A name is covered when it is documented, or is the prefix of documented ones (TESSERA_STORAGE, the connection of TESSERA_STORAGE__*).
    const missing = [...found.keys()].filter((n) => !documented.some((d) => d === n || d.startsWith(`${n}_`)));
    expect(missing, JSON.stringify(missing.map((n) => [n, found.get(n)]))).toEqual([]);
    expect(documented.filter((d) => !found.has(d))).toEqual([]);
  });

  it('documents every setting of the configuration, with the default the parser uses', () => {
    const defaults = configToEnv(loadConfig({}));
    for (const name of Object.keys(defaults))
      expect(
        SETTINGS.map((s) => s.name),
        name,
      ).toContain(name);
    for (const doc of SETTINGS.filter((d) => d.default === undefined))
      expect(defaultOf(doc, defaults)).toBe(`\`${defaults[doc.name]}\``);
  });

  it("states the Azure, telemetry and scorer parsers' own defaults", () => {
    const shown = (name: string) => SETTINGS.find((s) => s.name === name)?.default;
    expect(shown('TESSERA_WORK_QUEUE')).toBe(`\`${AZURE_DEFAULTS.workQueue}\``);
    expect(shown('TESSERA_CONTROL_QUEUE')).toBe(`\`${AZURE_DEFAULTS.controlQueue}\``);
    expect(shown('TESSERA_LEDGER_TABLE')).toBe(`\`${AZURE_DEFAULTS.ledgerTable}\``);
    expect(shown('TESSERA_EVENTHUB_NAME')).toBe(`\`${AZURE_DEFAULTS.eventHub}\``);
    expect(shown('TESSERA_EVENTHUB_CONSUMER_GROUP')).toBe(`\`${AZURE_DEFAULTS.eventHubConsumerGroup}\``);
    expect(shown('TESSERA_EVENTHUBS_CHECKPOINT_CONTAINER')).toBe(`\`${AZURE_DEFAULTS.checkpointContainer}\``);
    const telemetry = telemetrySettingsOf({});
    expect(shown('TESSERA_TRACE_SAMPLE_RATIO')).toBe(String(telemetry.sampleRatio));
    expect(shown('TESSERA_TELEMETRY_METRICS_MS')).toBe(String(telemetry.metricsIntervalMs));
    const scorer = loadScorerSettings({
      TESSERA_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      TESSERA_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://localhost;UseDevelopmentEmulator=true',
    });
    expect(shown('TESSERA_SCORER_CONCURRENCY')).toBe(String(scorer.concurrency));
    expect(shown('TESSERA_HEALTH_PORT')).toBe(String(scorer.healthPort));
    expect(shown('TESSERA_DRAIN_SECONDS')).toBe(String(scorer.drainSeconds));
    expect(shown('TESSERA_WORKER_LIFECYCLE_KINDS')).toBe(`\`${scorer.azure.workerLifecycleKinds.join(',')}\``);
  });
});
