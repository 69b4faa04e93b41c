import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInfraCheck } from '../../tools/infra-check/runCheck.js';
import type { Finding } from '../../tools/infra-check/findings.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const typesDir = process.env.TESSERA_BICEP_TYPES ?? resolve(repo, '..', 'shared', 'bicep-types');
const fixtures = join(repo, 'test', 'infra', 'fixtures');

function check(...paths: string[]): Finding[] {
  return [...runInfraCheck({ paths, typesDir, cwd: repo }).findings];
}
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');
const fixture = (name: string) => join(fixtures, name);
const rel = (name: string) => `test/infra/fixtures/${name}`;

describe('infra:check on the project infrastructure', () => {
  it('finds no errors in infra/ and azure.yaml (Bicep, manifests, kustomizations, azd, roles of every trigger)', () => {
    const result = runInfraCheck({ paths: ['infra', 'azure.yaml'], typesDir, cwd: repo });
    expect(errors([...result.findings])).toEqual([]);
    expect(result.files.filter((f) => f.endsWith('.bicep')).length).toBeGreaterThanOrEqual(10);
    expect(result.files.some((f) => f.endsWith('scaledobject.yaml'))).toBe(true);
  });

  it('exits 0 on infra/ and 1 on a broken file, printing file:line [rule]', () => {
    const run = (args: string[]) => {
      try {
        return {
          code: 0,
          out: execFileSync(process.execPath, ['--import', 'tsx', 'tools/infra-check/main.ts', ...args], {
            cwd: repo,
            encoding: 'utf8',
          }),
        };
      } catch (error) {
        const e = error as { status: number; stdout: string };
        return { code: e.status, out: e.stdout };
      }
    };
    const green = run(['--quiet']);
    expect(green.code, green.out).toBe(0);
    expect(green.out).toMatch(/0 errors/);
    const red = run([rel('missing-disable-local-auth.bicep')]);
    expect(red.code).toBe(1);
    expect(red.out).toContain(
      `${rel('missing-disable-local-auth.bicep')}:4: error [local-auth] namespace (Microsoft.EventHub/namespaces)`,
    );
  }, 120_000); // two CLI runs: a bound against hangs, not a speed test (a busy machine takes tens of seconds)
});

describe('infra:check on deliberately broken files', () => {
  it('syntax: names the line, and checks nothing else in a file it could not parse', () => {
    const found = check(fixture('syntax-error.bicep'));
    expect(found).toEqual([expect.objectContaining({ rule: 'syntax', file: rel('syntax-error.bicep'), line: 9 })]);
  });

  it('unknown api version: lists the versions that exist', () => {
    const [f] = errors(check(fixture('unknown-api-version.bicep')));
    expect(f).toMatchObject({ rule: 'api-version', line: 4, resource: 'namespace (Microsoft.ServiceBus/namespaces)' });
    expect(f?.message).toContain('2026-01-01');
  });

  it('unknown property: names the property path and the type', () => {
    expect(errors(check(fixture('unknown-property.bicep')))).toEqual([
      expect.objectContaining({
        rule: 'unknown-property',
        line: 22,
        resource: 'queue (Microsoft.ServiceBus/namespaces/queues)',
        message: expect.stringContaining('properties.deadLetterOnExpiry'),
      }),
    ]);
  });

  it('a key in an output: listKeys and the secret output', () => {
    const rules = errors(check(fixture('key-in-output.bicep'))).map((f) => `${f.rule}:${f.line}`);
    expect(rules).toEqual(expect.arrayContaining(['list-keys:19', 'secret-output:19']));
  });

  it('missing disableLocalAuth', () => {
    expect(errors(check(fixture('missing-disable-local-auth.bicep')))).toEqual([
      expect.objectContaining({
        rule: 'local-auth',
        line: 4,
        message: expect.stringContaining('properties.disableLocalAuth must be true'),
      }),
    ]);
  });

  it('a role wider than needed: Contributor on the resource group', () => {
    const rules = errors(check(fixture('broad-role.bicep'))).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['broad-role', 'broad-scope']));
  });

  it('Kubernetes and KEDA manifests: schema types, unknown fields, kustomization fields', () => {
    const found = errors(check(join(fixtures, 'k8s'))).map((f) => `${f.file}:${f.line} ${f.rule} ${f.resource ?? ''}`);
    expect(found).toEqual(
      expect.arrayContaining([
        `${rel('k8s/bad-scorer.yaml')}:14 k8s-unknown-field Deployment/tessera-scorer`,
        `${rel('k8s/bad-scorer.yaml')}:19 k8s-schema Deployment/tessera-scorer`,
        `${rel('k8s/bad-scorer.yaml')}:28 k8s-schema ScaledObject/tessera-scorer`,
        `${rel('k8s/kustomization.yaml')}:1 kustomize-schema `,
      ]),
    );
  });

  it('a property typo inside a `for` body held by a variable, and in one branch of an undecided condition', () => {
    const found = errors(check(fixture('typo-in-loop.bicep'))).map((f) => `${f.rule}:${f.line} ${f.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^unknown-property:27 "properties\.networkAcls\.bypas" is not a property of NetworkRuleSet/,
        ),
        expect.stringMatching(/^unknown-property:37 "properties\.policy\.rules\[\]\.defintion" is not a property/),
        expect.stringMatching(/^missing-property:33 "properties\.policy\.rules\[\]\.definition" is required/),
      ]),
    );
  });

  it('a missing required property: a cluster without dnsPrefix (or fqdnSubdomain)', () => {
    expect(errors(check(fixture('missing-dns-prefix.bicep')))).toEqual([
      expect.objectContaining({
        rule: 'missing-property',
        line: 4,
        resource: 'aks (Microsoft.ContainerService/managedClusters)',
        message: expect.stringContaining('"properties.dnsPrefix" or "properties.fqdnSubdomain" is required'),
      }),
    ]);
  });

  it('a role GUID that is not the role its name says (held against the documented table)', () => {
    const found = errors(check(fixture('mismatched-role-guid.bicep')));
    expect(found.map((f) => `${f.rule}:${f.line}`)).toEqual(['role-guid:7', 'role-guid:8', 'role-guid:9']);
    expect(found[0]?.message).toContain(
      'is b7e6dc6d-f1e8-4753-8033-0f276bb0955b in the Azure built-in roles documentation',
    );
    expect(found[0]?.message).toContain('(that is "Storage Blob Data Contributor")');
  });

  it('User Access Administrator by its documented GUID is a broad role', () => {
    expect(errors(check(fixture('user-access-admin.bicep'))).map((f) => f.rule)).toContain('broad-role');
  });

  it("a trigger without the roles its documentation requires (the blob trigger's queue role), and one on a container nothing creates", () => {
    const found = errors(check(fixture('project-missing-trigger-role')));
    expect(found).toEqual([
      expect.objectContaining({
        rule: 'trigger-target',
        file: rel('project-missing-trigger-role/app/src/archive.ts'),
        line: 8,
        message: expect.stringContaining('blob trigger on "archive": the deployment creates no such entity'),
      }),
      expect.objectContaining({
        rule: 'trigger-role',
        file: rel('project-missing-trigger-role/app/src/uploads.ts'),
        line: 10,
        resource: 'function uploads',
        message: expect.stringContaining('needs Storage Queue Data Contributor on storageAccounts main>data'),
      }),
    ]);
  });

  it('azure.yaml as azd reads it: a hook path resolved from the service folder, one-platform hooks, Docker target, kustomize edits and env, fields, folders, outputs', () => {
    const found = errors(check(fixture('project-bad-hook')));
    expect(found.map((f) => `${f.rule}:${f.line}`).sort()).toEqual(
      [
        'azure-yaml-schema:8',
        'azure-yaml-output:14',
        'azure-yaml-docker-target:19',
        'azure-yaml-kustomize-edit:24',
        'azure-yaml-env:26',
        'azure-yaml-hook-path:35',
        'azure-yaml-path:37',
        'azure-yaml-hook-platform:42',
        'trigger-role:1',
      ].sort(),
    );
    const hook = found.find((f) => f.rule === 'azure-yaml-hook-path');
    expect(hook?.message).toContain(
      `resolves to ${rel('project-bad-hook/worker/infra/hooks/prepare.sh')}, which does not exist`,
    );
  });

  it('a resource whose logs go to no Log Analytics workspace though the deployment has one; a role no one can read before deploying', () => {
    expect(errors(check(fixture('project-missing-diagnostics')))).toEqual([
      expect.objectContaining({ rule: 'role-guid', line: 62, resource: 'anyGrant (main>anyGrant)' }),
      expect.objectContaining({
        rule: 'diagnostic-settings',
        file: rel('project-missing-diagnostics/infra/main.bicep'),
        line: 23,
        resource: 'bus (Microsoft.ServiceBus/namespaces)',
      }),
    ]);
  });
});
