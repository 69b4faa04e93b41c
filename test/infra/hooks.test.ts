import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The scorer's predeploy hook, run for real by sh with recording stand-ins for az, azd, kubelogin
// and kubectl on PATH: each appends its arguments to a log, and `azd env set` to the azd
// environment the next run sees, as azd does.
const repo = resolve(import.meta.dirname, '..', '..');
const hook = join(repo, 'infra', 'hooks', 'predeploy-scorer.sh');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-hook-'));
  const tool = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`);
    chmodSync(path, 0o755);
  };
  tool('az', `case "$1 $2" in "resource show") echo 'InstrumentationKey=x;IngestionEndpoint=https://e/';; esac`);
  tool('azd', `[ "$1 $2" = "env set" ] && echo "$3=$4" >> "${dir}/azd.env"; true`);
  tool('kubelogin', 'true');
  tool('kubectl', 'true');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runHook(extra: Record<string, string> = {}): string[] {
  execFileSync('sh', [hook], {
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      AZURE_RESOURCE_GROUP: 'rg-test',
      APPLICATIONINSIGHTS_NAME: 'appi-test',
      AZURE_AKS_CLUSTER_NAME: 'aks-test',
      KEDA_CLIENT_ID: 'keda-client-1',
      ...extra,
    },
    encoding: 'utf8',
  });
  return readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
}
const azdEnv = () =>
  Object.fromEntries(
    readFileSync(join(dir, 'azd.env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;

describe('the scorer predeploy hook', () => {
  it('puts the connection string into the azd environment, then restarts the KEDA operator with a kubeconfig of its own', () => {
    const calls = runHook();
    expect(azdEnv()).toMatchObject({
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x;IngestionEndpoint=https://e/',
      KEDA_OPERATOR_RESTARTED_FOR: 'keda-client-1',
    });
    const kube = calls.filter((c) => /^(az aks|kubelogin|kubectl)/.test(c));
    expect(kube[0]).toMatch(/^az aks get-credentials -g rg-test -n aks-test --file (\S+) /);
    const file = /--file (\S+)/.exec(kube[0] ?? '')?.[1] ?? '';
    expect(kube.slice(1)).toEqual([
      `kubelogin convert-kubeconfig -l azurecli --kubeconfig ${file}`,
      `kubectl --kubeconfig ${file} -n kube-system rollout restart deployment/keda-operator`,
      `kubectl --kubeconfig ${file} -n kube-system rollout status deployment/keda-operator --timeout=300s`,
    ]);
  });

  it('leaves KEDA alone once it has been restarted for this identity, and restarts it for a new one', () => {
    expect(runHook({ KEDA_OPERATOR_RESTARTED_FOR: 'keda-client-1' }).some((c) => c.startsWith('kubectl'))).toBe(false);
    rmSync(join(dir, 'calls.log'));
    const again = runHook({ KEDA_OPERATOR_RESTARTED_FOR: 'keda-client-0' });
    expect(again.some((c) => c.endsWith('rollout restart deployment/keda-operator'))).toBe(true);
  });

  it('the PowerShell twin takes the same steps in the same order', () => {
    const ps1 = readFileSync(join(repo, 'infra', 'hooks', 'predeploy-scorer.ps1'), 'utf8');
    const steps = (text: string) =>
      [...text.matchAll(/^\s*(az \w+ [\w-]+|azd env set \w+|kubelogin [\w-]+|kubectl .*? (rollout \w+))/gm)].map(
        (m) => m[2] ?? m[1],
      );
    expect(steps(ps1)).toEqual(steps(readFileSync(hook, 'utf8')));
    expect(steps(ps1)).toContain('rollout restart');
  });
});
