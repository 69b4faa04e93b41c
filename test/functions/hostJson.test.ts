import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// host.json (at the repository root: the root package is the Functions app) cannot carry comments:
// functions/README.md gives each setting's reason in a table row `| \`path\` | \`value\` | why |`.
// Every leaf setting must have its row, with the value it has.
const root = join(import.meta.dirname, '../..');
const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as Record<string, unknown>;
const readme = readFileSync(join(root, 'functions', 'README.md'), 'utf8');

function leaves(value: unknown, path: string[] = []): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [[path.join('.'), value]];
}

describe('host.json', () => {
  const rows = new Map(
    [...readme.matchAll(/^\| `([^`]+)` \| `([^`]*)` \| (.+) \|$/gm)].map((m) => [m[1]!, { value: m[2]!, why: m[3]! }]),
  );

  it('has a documented reason, and the value documented, for every setting', () => {
    for (const [path, value] of leaves(host)) {
      const row = rows.get(path);
      expect(row, `functions/README.md: no row for ${path}`).toBeDefined();
      expect(row!.value, path).toBe(String(value));
      expect(row!.why.length, path).toBeGreaterThan(10);
    }
  });

  it('suits the control queue: host-settled, no prefetch, locks renewed as long as a function may run', () => {
    expect(host).toMatchObject({
      extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
      extensions: { serviceBus: { autoCompleteMessages: true, prefetchCount: 0 } },
    });
    const { functionTimeout } = host as { functionTimeout: string };
    expect(
      (host.extensions as { serviceBus: { maxAutoLockRenewalDuration: string } }).serviceBus.maxAutoLockRenewalDuration,
    ).toBe(functionTimeout);
  });
});
