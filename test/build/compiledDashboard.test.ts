/**
 * `tessera up` runs the compiled sources (bin/tessera.js runs dist/), and its server serves the
 * dashboard from the repository's dashboard/ folder; the Functions package carries a copy in its own
 * dist/dashboard (test/build/functionsPackage.test.ts). dist/ is built by test/support/buildGlobalSetup.ts.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the dashboard from the compiled sources', () => {
  it("dist/src/hosting/dashboardFiles.js finds the repository's dashboard/", async () => {
    const compiled = pathToFileURL(join(ROOT, 'dist', 'src', 'hosting', 'dashboardFiles.js')).href;
    const { dashboardFile } = (await import(compiled)) as typeof import('../../src/hosting/dashboardFiles.js');
    expect(dashboardFile('index.html')?.path).toBe(join(ROOT, 'dashboard', 'index.html'));
    expect(dashboardFile('app.js')?.contentType).toBe('text/javascript; charset=utf-8');
  });
});
