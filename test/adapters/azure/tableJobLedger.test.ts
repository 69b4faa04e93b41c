import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import {
  createTableJobLedger,
  tableJobLedgerFromConnectionString,
} from '../../../src/adapters/azure/tableJobLedger.js';
import { NotFoundError, PreconditionFailedError, TransientError } from '../../../src/core/errors.js';
import type { JobLedger } from '../../../src/ports/jobLedger.js';
import { jobLedgerContract } from '../../contracts/jobLedger.contract.js';

const connectionString = inject('azuriteConnectionString');
const uniqueTable = (): string => `t${randomUUID().replaceAll('-', '').slice(0, 20)}`;

// One table per run; reopen is a second ledger over the same table; cleanup drops the table.
jobLedgerContract('tableJobLedger on Azurite', () => {
  const table = uniqueTable();
  const opened: JobLedger[] = [];
  const open = (): JobLedger => {
    const ledger = tableJobLedgerFromConnectionString(connectionString, table);
    opened.push(ledger);
    return ledger;
  };
  return Promise.resolve({
    ledger: open(),
    reopen: () => Promise.resolve(open()),
    cleanup: async () => {
      await Promise.all(opened.map((l) => l.close()));
      await TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true }).deleteTable();
    },
  });
});

describe('tableJobLedger (Azure-specific, on Azurite)', () => {
  it('round-trips jobs and lists them newest first, across instances', async () => {
    const table = uniqueTable();
    const ledger = tableJobLedgerFromConnectionString(connectionString, table);
    for (const id of ['a', 'b', 'c', 'd']) {
      await ledger.createJob({ jobId: id, kind: id === 'b' ? 'other' : 'score', input: { name: `in/${id}` } });
    }
    const other = tableJobLedgerFromConnectionString(connectionString, table);
    expect((await other.listJobs()).map((j) => j.jobId)).toEqual(['d', 'c', 'b', 'a']);
    expect((await other.listJobs({ kind: 'score', limit: 2 })).map((j) => j.jobId)).toEqual(['d', 'c']);
    const c = (await other.getJob('c'))!;
    expect(c).toMatchObject({ state: 'planning', shardsTotal: 0, counts: {}, detail: null, error: undefined });
    expect(c.createdAt).toBeInstanceOf(Date);
    const listedC = (await other.listJobs()).find((j) => j.jobId === 'c')!;
    expect(listedC).toEqual(c);

    // A listed job's ETag is good for an update; the listing sees the update.
    const updated = await other.updateJob(
      'c',
      { state: 'failed', error: 'boom', shardsTotal: 3_000_000_000 },
      listedC.etag,
    );
    expect(await ledger.getJob('c')).toEqual(updated);
    expect(await ledger.listJobs({ state: 'failed' })).toEqual([updated]);
    const cleared = await ledger.updateJob('c', { error: undefined }, updated.etag);
    expect(cleared.error).toBeUndefined();
    expect((await ledger.getJob('c'))?.error).toBeUndefined();
    expect(await ledger.listJobs({ limit: 0 })).toEqual([]);
  });

  it('lets exactly one of two racing ledgers win an update', async () => {
    const table = uniqueTable();
    const [l1, l2] = [1, 2].map(() => tableJobLedgerFromConnectionString(connectionString, table)) as [
      ReturnType<typeof tableJobLedgerFromConnectionString>,
      ReturnType<typeof tableJobLedgerFromConnectionString>,
    ];
    const job = await l1.createJob({ jobId: 'j/1#?%', kind: 'k', input: {} });
    await expect(l2.createJob({ jobId: 'j/1#?%', kind: 'k', input: {} })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const results = await Promise.allSettled([
      l1.updateJob(job.jobId, { state: 'running' }, job.etag),
      l2.updateJob(job.jobId, { state: 'failed' }, job.etag),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(PreconditionFailedError);
    await expect(l1.updateJob('missing', {}, job.etag)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('adds shards idempotently in batches and counts them by state', async () => {
    const ledger = tableJobLedgerFromConnectionString(connectionString, uniqueTable());
    await expect(ledger.addShards('nope', [{ shardId: 's' }])).rejects.toBeInstanceOf(NotFoundError);
    await ledger.createJob({ jobId: 'job', kind: 'k', input: {} });
    const ids = Array.from({ length: 250 }, (_, i) => `s/${String(i).padStart(4, '0')}`);
    expect(
      await ledger.addShards(
        'job',
        ids.slice(0, 120).map((shardId) => ({ shardId })),
      ),
    ).toBe(120);
    const racing = await Promise.all([
      ledger.addShards(
        'job',
        ids.map((shardId) => ({ shardId })),
      ),
      ledger.addShards(
        'job',
        ids.map((shardId) => ({ shardId })),
      ),
    ]);
    expect(racing[0] + racing[1]).toBe(130);
    const shards = await ledger.listShards('job');
    expect(shards.map((s) => s.shardId)).toEqual(ids);
    const first = shards[0]!;
    const running = await ledger.updateShard('job', first.shardId, { state: 'running', attempts: 1 }, first.etag);
    await expect(ledger.updateShard('job', first.shardId, { state: 'failed' }, first.etag)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(await ledger.getShard('job', first.shardId)).toEqual(running);
    expect(await ledger.countShards('job')).toEqual({ pending: 249, running: 1, succeeded: 0, failed: 0 });
    expect(await ledger.listShards('job', { state: 'running' })).toEqual([running]);
    expect(await ledger.getShard('job', 'missing')).toBeUndefined();
    expect(await ledger.countShards('other')).toEqual({ pending: 0, running: 0, succeeded: 0, failed: 0 });
  });

  it('maps an unreachable service to TransientError', async () => {
    const ledger = createTableJobLedger({
      tableClient: new TableClient('http://127.0.0.1:1/devstoreaccount1', 'offline', {
        allowInsecureConnection: true,
        retryOptions: { maxRetries: 0 },
      }),
    });
    const error = await ledger.getJob('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).not.toHaveProperty('statusCode');
  });
});
