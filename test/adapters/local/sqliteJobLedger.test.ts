import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteJobLedger } from '../../../src/adapters/local/sqliteJobLedger.js';
import type { JobLedger } from '../../../src/ports/jobLedger.js';
import { jobLedgerContract } from '../../contracts/jobLedger.contract.js';
import { lastJsonLine, runTsxScript } from '../../support/runTsxScript.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'tessera-ledger-'));

jobLedgerContract('sqliteJobLedger', async () => {
  const dir = await tempDir();
  const file = join(dir, 'ledger.sqlite');
  const opened: JobLedger[] = [openSqliteJobLedger({ file })];
  return {
    ledger: opened[0]!,
    reopen: () => {
      const ledger = openSqliteJobLedger({ file });
      opened.push(ledger);
      return Promise.resolve(ledger);
    },
    cleanup: async () => {
      for (const ledger of opened) await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqliteJobLedger (local specifics)', () => {
  const dirs: string[] = [];
  const ledgers: JobLedger[] = [];
  const open = (file: string): JobLedger => {
    const ledger = openSqliteJobLedger({ file });
    ledgers.push(ledger);
    return ledger;
  };
  afterEach(async () => {
    for (const ledger of ledgers.splice(0)) await ledger.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('two processes incrementing one job with etag retry lose no increment', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = join(dir, 'shared.sqlite');
    const ledger = open(file);
    await ledger.createJob({ jobId: 'shared', kind: 'k', input: {}, counts: { n: 0 } });
    const barrier = join(dir, 'barrier');
    await mkdir(barrier);
    const times = 150;
    const outputs = await Promise.all(
      ['p1', 'p2'].map((p) => runTsxScript('ledgerIncrementer.ts', [file, 'shared', String(times), barrier, '2', p])),
    );
    const conflicts = outputs.map((out) => lastJsonLine<{ conflicts: number }>(out).conflicts);
    expect((await ledger.getJob('shared'))?.counts['n']).toBe(2 * times);
    expect(conflicts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // the processes really raced
  });

  it('survives closing and reopening the file', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = join(dir, 'ledger.sqlite');
    const first = open(file);
    const job = await first.createJob({ jobId: 'j', kind: 'k', input: { name: 'a.csv' } });
    await first.addShards('j', [{ shardId: 's1' }]);
    const updated = await first.updateJob('j', { state: 'running', error: 'partial' }, job.etag);
    await first.close();
    const second = open(file);
    expect(await second.getJob('j')).toEqual(updated);
    expect(await second.countShards('j')).toEqual({ pending: 1, running: 0, succeeded: 0, failed: 0 });
    const cleared = await second.updateJob('j', { error: undefined }, updated.etag);
    expect(cleared.error).toBeUndefined();
    await expect(second.addShards('unknown', [{ shardId: 's' }])).rejects.toThrow('job unknown not found');
  });
});
