import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, readOcsvmManifest } from '../support/fixtures.js';
import { cliHome, registerFixtureModelsViaCli, runCli } from '../support/cli.js';

const SENSOR_CSV = join(fixturesDir, 'sensors/batchai-sensor_data.csv');

/**
 * Overwrites the stored bytes of a registered model in place. The directory blob store keeps the
 * content of blob `blobs/sha256/<sha>.onnx` of container `models` in the file
 * `<home>/blobs/models/blobs/sha256/<sha>.onnx~<contentId>` (see src/adapters/local/fsBlobStore.ts).
 */
function tamperStoredModel(home: string, sha256: string): string {
  const dir = join(home, 'blobs', 'models', 'blobs', 'sha256');
  const files = readdirSync(dir).filter((f) => f.startsWith(`${sha256}.onnx~`));
  expect(files).toHaveLength(1);
  const path = join(dir, files[0]!);
  writeFileSync(path, Buffer.from('tampered: these are not the registered bytes'));
  return path;
}

describe('tessera dlq after a job over a tampered model', () => {
  const home = cliHome();
  let readings: string;

  beforeAll(async () => {
    readings = join(home.dir, 'first-1000.csv');
    writeFileSync(readings, `${readFileSync(SENSOR_CSV, 'utf8').split('\n').slice(0, 1001).join('\n')}\n`);
    await registerFixtureModelsViaCli(home);
  });
  afterAll(() => home.cleanup());

  it('dlq list on an empty queue says it is empty', async () => {
    const result = await runCli(home, ['dlq', 'list']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('the dead-letter queue is empty\n');
  });

  it('run exits 1 naming the failed shard, and dlq list shows its message with the reason', async () => {
    const sha = readOcsvmManifest().models.find((m) => m.device === '1' && m.tag === '1')!.sha256;
    tamperStoredModel(home.home, sha);

    const run = await runCli(home, ['run', readings, '--out', 'results']);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const jobId = /^job (j[0-9a-f]{20}) /m.exec(run.stdout)?.[1];
    expect(jobId, run.stdout).toBeDefined();
    expect(run.stdout).toContain(`job ${jobId}: failed`);
    expect(run.stdout).toMatch(/failed shard 1\.1\.\S+: ModelChecksumMismatch: model ocsvm-1-1@1/);

    const list = await runCli(home, ['dlq', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const [header, ...letters] = list.stdout.trim().split('\n');
    expect(header).toMatch(/^SEQ\s+DEAD-LETTERED\s+MESSAGE\s+REASON$/);
    expect(letters.length).toBeGreaterThan(0);
    for (const line of letters) {
      expect(line).toMatch(
        new RegExp(`^\\d+\\s+\\S+Z  ${jobId}:shard:1\\.1\\.\\S+\\s+ModelChecksumMismatch: model ocsvm-1-1@1`),
      );
    }

    const json = await runCli(home, ['dlq', 'list', '-o', 'json']);
    const { messages } = JSON.parse(json.stdout) as {
      messages: { sequenceNumber: number; messageId: string; reason: string; jobId: string }[];
    };
    expect(messages.map((m) => m.reason)).toEqual(letters.map(() => 'ModelChecksumMismatch'));
    expect(messages.every((m) => m.jobId === jobId)).toBe(true);
    const shown = await runCli(home, ['dlq', 'show', String(messages[0]!.sequenceNumber)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      messageId: messages[0]!.messageId,
      reason: 'ModelChecksumMismatch',
    });

    const status = await runCli(home, ['status', jobId!]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/shards \d+ done, 0 running, [1-9]\d* failed, of \d+/);
    expect(status.stdout).toContain('ModelChecksumMismatch');
  });

  it('dlq show of an unknown sequence number exits 2', async () => {
    const result = await runCli(home, ['dlq', 'show', '999999']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('999999: no such dead-lettered message');
  });
});
