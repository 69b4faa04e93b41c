/**
 * Every worker, aggregator and CLI process starts telemetry, and most run with it off: the
 * OpenTelemetry SDK (providers, exporters, resource detectors) is then never loaded, since it is a
 * third of such a process's start. A process that records something loads it and exports as before.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SETUP = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/telemetry/setup.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'tessera-lazy-sdk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages a node process running the compiled startTelemetry with `env` loads, and what it wrote. */
function packagesLoaded(env: Record<string, string>, name: string): { packages: Set<string>; stderr: string } {
  const log = join(dir, `${name}.log`);
  // A resolve hook (on the loader's thread) that appends every resolved module's URL to the log.
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`;
  const script = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
const { startTelemetry } = await import(${JSON.stringify(SETUP)});
const { inSpan } = await import(${JSON.stringify(SETUP.replace('setup.js', 'tracing.js'))});
const telemetry = await startTelemetry({ service: 'tessera-test', env: ${JSON.stringify(env)} });
await inSpan('checked', {}, async () => {});
await telemetry.shutdown();
`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the telemetry script failed: ${result.stderr}`);
  const packages = new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((p): p is string => p !== undefined),
  );
  return { packages, stderr: result.stderr };
}

describe('startTelemetry loads the OpenTelemetry SDK only when something is recorded', () => {
  it('off: the API (and the propagator tracing.ts uses) only, no SDK, exporter or resource package', () => {
    const { packages } = packagesLoaded({ TESSERA_TELEMETRY: 'off' }, 'off');
    expect(packages.has('@opentelemetry/api')).toBe(true);
    const sdk = [...packages].filter((p) => /^@opentelemetry\/(sdk-|exporter-|resources)/.test(p));
    expect(sdk).toEqual([]);
  });

  it('console: the SDK is loaded and the span is exported', () => {
    const { packages, stderr } = packagesLoaded(
      { TESSERA_TELEMETRY: 'console', TESSERA_TELEMETRY_METRICS_MS: '100000' },
      'on',
    );
    expect(packages.has('@opentelemetry/sdk-trace-node')).toBe(true);
    expect(packages.has('@opentelemetry/resources')).toBe(true);
    expect(stderr).toContain('"span":"checked"');
  });
});
