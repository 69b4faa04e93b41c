import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { ApiFetch } from '../../src/hosting/api/inProcessFetch.js';
import { captureIo } from '../support/captureIo.js';
import { ocsvmDir } from '../support/fixtures.js';
import { openAzureWorld, type AzureWorld } from './support/azureWorld.js';
import { functionsFetch } from './support/functionsFetch.js';
import { runToEnd } from './support/runToEnd.js';

const REMOTE = 'https://func-tessera.example.net';
const SCOPE = 'api://tessera-api/.default';

/** A credential that hands out one token and records the scopes asked for: never a real Entra ID call. */
function fakeCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return Promise.resolve({ token: 'entra-token', expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}

function readingsCsv(): string {
  const rows = ['TS,Device,Tag,Value'];
  for (let minute = 0; minute < 6; minute++)
    for (const second of [15, 35, 55]) rows.push(`2018-08-28 23:0${minute}:${second}.000,1,1,${11 + (minute % 3)}`);
  return `${rows.join('\n')}\n`;
}

describe('the same CLI commands against the Functions app (its handlers, with an Entra ID token from a fake credential)', () => {
  let world: AzureWorld;
  let dir: string;
  const credential = fakeCredential();
  const authorizations: (string | null)[] = [];
  let remoteFetch: ApiFetch;
  const cli = async (argv: string[], env: Record<string, string> = {}) => {
    const io = captureIo();
    const code = await main([...argv, '--remote', REMOTE], io, {
      env: { TESSERA_HOME: join(dir, 'home'), TESSERA_REMOTE_SCOPE: SCOPE, ...env },
      credential,
      fetch: remoteFetch,
    });
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-cli-remote-'));
    world = await openAzureWorld({ TESSERA_WINDOWS_PER_SHARD: '2' });
    await world.ctx.registry.add('ocsvm-1-1', readFileSync(join(ocsvmDir, 'models/ocsvm-1-1.onnx')));
    const handlers = functionsFetch(world);
    remoteFetch = (url, init) => {
      expect(url.startsWith(`${REMOTE}/api/`)).toBe(true);
      authorizations.push(new Headers(init?.headers).get('authorization'));
      return handlers(url, init);
    };
  });
  afterAll(async () => {
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('submit, status, follow, results, logs, cancel and retry, each with the Entra ID bearer token', async () => {
    const file = join(dir, 'remote-readings.csv');
    writeFileSync(file, readingsCsv());
    const submitted = await cli(['submit', file, '--no-follow']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = /^submitted .* as job (j[0-9a-f]{20})$/m.exec(submitted.stdout)?.[1];
    expect(jobId, submitted.stdout).toBeDefined();
    expect(credential.scopes).toContain(SCOPE);
    expect(new Set(authorizations)).toEqual(new Set(['Bearer entra-token']));

    await runToEnd(world, jobId!); // the host and the scorers do the work

    const listed = await cli(['status']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${jobId}\\s+anomaly\\s+succeeded\\s+3/3\\s`, 'm'));
    expect(listed.stdout).not.toContain('runtime:'); // a remote API has no local runtime to report
    const followed = await cli(['follow', jobId!, '--out', join(dir, 'out')]);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain(`job ${jobId}: succeeded`);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['anomalies.csv', 'scores.csv', 'summary.json']);
    const json = await cli(['status', jobId!, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ job: { id: jobId, state: 'succeeded' } });
    const results = await cli(['results', jobId!, '--out', join(dir, 'again')]);
    expect(results.code, results.stderr).toBe(0);
    expect(readFileSync(join(dir, 'again', 'scores.csv'), 'utf8')).toBe(
      readFileSync(join(dir, 'out', 'scores.csv'), 'utf8'),
    );

    const logs = await cli(['logs', jobId!]);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain(`customDimensions.jobId == "${jobId}"`);
    const cancel = await cli(['cancel', jobId!]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('has already ended (succeeded); nothing to cancel');

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n');
    const failed = await cli(['submit', bad, '--no-follow', '-o', 'json']);
    const failedId = (JSON.parse(failed.stdout) as { job: { id: string } }).job.id;
    await runToEnd(world, failedId);
    const retried = await cli(['retry', failedId]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toBe(`retrying as job ${failedId}-2: planning\n`);
  });

  it('models list, dlq list of either queue, dlq redrive', async () => {
    const models = await cli(['models', 'list']);
    expect(models.stdout.split('\n')[1]).toMatch(/^ocsvm-1-1@1\s+[0-9a-f]{12}\s/);
    expect(await cli(['dlq', 'list', '--queue', 'control'])).toMatchObject({
      code: 0,
      stdout: 'the dead-letter queue is empty\n',
    });
    expect(await cli(['dlq', 'redrive', '--all'])).toMatchObject({
      code: 0,
      stdout: '0 message(s) returned to the queue\n',
    });
  });

  it('without a scope for the Entra ID token, a remote command exits 2 naming TESSERA_REMOTE_SCOPE', async () => {
    const result = await cli(['status'], { TESSERA_REMOTE_SCOPE: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TESSERA_REMOTE_SCOPE: needed to get an Entra ID token for');
  });
});
