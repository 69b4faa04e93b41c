/**
 * JobLedger on Azure Table storage (one table per ledger, created on first use if missing).
 *
 * Key design:
 * - Partition `jobs` holds two rows per job, always written together in one entity-group transaction:
 *   - `id_<jobId>`: the job by id (point reads; updates guarded by this row's Table ETag);
 *   - `ts_<inverted µs creation time>_<jobId>`: a full copy whose RowKey sorts newest first, so
 *     `listJobs` is one ordered range query (state and kind filtered server-side, stops at `limit`).
 *   The port's job ETag is a `version` property shared by both rows, so a listed job can be updated.
 * - Partition `shards_<jobId>` holds one row per shard (RowKey = shardId), so `listShards` and
 *   `countShards` are single-partition queries (`countShards` selects only `state`).
 *   A shard's ETag is its row's Table ETag.
 * - Keys escape `/ \ # ? %` and control characters as `%XX` (Table keys forbid them); ids are not
 *   otherwise restricted. `listShards` sorts by shard id itself, so escaping never changes the order.
 * - counts, input and detail are JSON strings (a Table string property holds up to 64 KiB).
 * SDK errors are mapped by azureErrors.ts; a lost create or a stale ETag is PreconditionFailedError.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { TableClient, TableTransaction, odata, type TableEntityResult } from '@azure/data-tables';
import { NotFoundError, PermanentError, PreconditionFailedError } from '../../core/errors.js';
import type { JobLedger, JobRecord, ShardRecord, ShardState } from '../../ports/jobLedger.js';
import { isAzureNotFound, mapAzureError } from './azureErrors.js';
import {
  JOBS_PARTITION,
  LIST_PREFIX,
  definedOnly,
  fromJobRow,
  fromShardRow,
  jobRowKey,
  newShardEntity,
  nextCreationTime,
  shardPartition,
  shardRowKey,
  toJobRow,
  toShardRow,
  type JobRow,
  type ShardRow,
} from './tableLedgerRows.js';

export interface TableJobLedgerOptions {
  readonly tableClient: TableClient;
}

const SHARD_STATES: readonly ShardState[] = ['pending', 'running', 'succeeded', 'failed'];
const BATCH = 100; // Azure's limit of operations per entity-group transaction.

export function createTableJobLedger(options: TableJobLedgerOptions): JobLedger {
  const { tableClient: table } = options;
  let ready: Promise<void> | undefined;
  /** Runs an SDK call once the table exists, mapping SDK errors; 404 of a point read is `undefined`. */
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    ready ??= table.createTable().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    try {
      await ready;
      return await fn();
    } catch (error) {
      throw mapAzureError(what, error);
    }
  };
  const pointRead = <T extends object>(what: string, partitionKey: string, rowKey: string) =>
    call(what, async () => {
      try {
        return await table.getEntity<T>(partitionKey, rowKey);
      } catch (error) {
        if (isAzureNotFound(error)) return undefined;
        throw error;
      }
    });
  const readJob = (jobId: string) => pointRead<JobRow>(`job ${jobId}`, JOBS_PARTITION, jobRowKey(jobId));
  const readShard = (jobId: string, shardId: string) =>
    pointRead<ShardRow>(`shard ${jobId}/${shardId}`, shardPartition(jobId), shardRowKey(shardId));
  const shardRows = (jobId: string, filter: string, select?: string[]) =>
    call(`shards of job ${jobId}`, async () => {
      const rows: TableEntityResult<ShardRow>[] = [];
      const queryOptions = {
        filter: odata`PartitionKey eq ${shardPartition(jobId)}` + filter,
        ...(select ? { select } : {}),
      };
      for await (const row of table.listEntities<ShardRow>({ queryOptions })) rows.push(row);
      return rows;
    });
  /** Writes both rows of a job atomically: created, or replaced if the by-id row still has `etag`. */
  const writeJob = async (record: JobRecord, listKey: string, etag?: string): Promise<void> => {
    const row = toJobRow(record, listKey);
    const byId = { partitionKey: JOBS_PARTITION, rowKey: jobRowKey(record.jobId), ...row };
    const listed = { partitionKey: JOBS_PARTITION, rowKey: listKey, ...row };
    const tx = new TableTransaction();
    if (etag === undefined) {
      tx.createEntity(byId);
      tx.createEntity(listed);
    } else {
      tx.updateEntity(byId, 'Replace', { etag });
      tx.upsertEntity(listed, 'Replace');
    }
    await call(`job ${record.jobId}`, () => table.submitTransaction(tx.actions));
  };

  return {
    async createJob(job) {
      const created = nextCreationTime(job.jobId);
      const record: JobRecord = {
        jobId: job.jobId,
        kind: job.kind,
        state: job.state ?? 'planning',
        input: { ...job.input },
        createdAt: created.date,
        updatedAt: created.date,
        shardsTotal: job.shardsTotal ?? 0,
        counts: { ...job.counts },
        error: undefined,
        detail: job.detail ?? null,
        etag: randomUUID(),
      };
      await writeJob(record, created.listKey);
      return record;
    },

    async getJob(jobId) {
      const row = await readJob(jobId);
      return row && fromJobRow(row);
    },

    async updateJob(jobId, patch, etag) {
      const current = await readJob(jobId);
      if (!current) throw new NotFoundError(`job ${jobId}`);
      if (current.version !== etag) throw new PreconditionFailedError(`job ${jobId}`);
      const next: JobRecord = {
        ...fromJobRow(current),
        ...definedOnly(patch),
        ...(Object.hasOwn(patch, 'error') ? { error: patch.error } : {}),
        updatedAt: new Date(),
        etag: randomUUID(),
      };
      await writeJob(next, current.listKey, current.etag);
      return next;
    },

    async listJobs(query = {}) {
      const limit = Math.max(0, Math.floor(query.limit ?? Number.POSITIVE_INFINITY));
      if (limit === 0) return [];
      let filter = odata`PartitionKey eq ${JOBS_PARTITION} and RowKey ge ${LIST_PREFIX} and RowKey lt ${rangeEnd(LIST_PREFIX)}`;
      if (query.state !== undefined) filter += odata` and state eq ${query.state}`;
      if (query.kind !== undefined) filter += odata` and kind eq ${query.kind}`;
      return call('jobs', async () => {
        const jobs: JobRecord[] = [];
        for await (const row of table.listEntities<JobRow>({ queryOptions: { filter } })) {
          jobs.push(fromJobRow(row));
          if (jobs.length >= limit) break;
        }
        return jobs;
      });
    },

    async addShards(jobId, shards) {
      if (!(await readJob(jobId))) throw new NotFoundError(`job ${jobId}`);
      const existing = new Set((await shardRows(jobId, '', ['RowKey'])).map((r) => r.rowKey));
      const now = new Date();
      const fresh = new Map<string, ReturnType<typeof newShardEntity>>();
      for (const s of shards) {
        const rowKey = shardRowKey(s.shardId);
        if (!existing.has(rowKey) && !fresh.has(rowKey)) fresh.set(rowKey, newShardEntity(jobId, s, now));
      }
      const entities = [...fresh.values()];
      let created = 0;
      for (let i = 0; i < entities.length; i += BATCH) {
        const chunk = entities.slice(i, i + BATCH);
        const tx = new TableTransaction();
        for (const e of chunk) tx.createEntity(e);
        try {
          await call(`shards of job ${jobId}`, () => table.submitTransaction(tx.actions));
          created += chunk.length;
        } catch (error) {
          if (!(error instanceof PreconditionFailedError)) throw error;
          // A concurrent planner created some of these: create one by one, skipping those that exist.
          for (const e of chunk) {
            try {
              await call(`shard ${jobId}/${e.shardId}`, () => table.createEntity(e));
              created += 1;
            } catch (inner) {
              if (!(inner instanceof PreconditionFailedError)) throw inner;
            }
          }
        }
      }
      return created;
    },

    async getShard(jobId, shardId) {
      const row = await readShard(jobId, shardId);
      return row && fromShardRow(jobId, row);
    },

    async updateShard(jobId, shardId, patch, etag) {
      const what = `shard ${jobId}/${shardId}`;
      const current = await readShard(jobId, shardId);
      if (!current) throw new NotFoundError(what);
      if (current.etag !== etag) throw new PreconditionFailedError(what);
      const next: ShardRecord = {
        ...fromShardRow(jobId, current),
        ...definedOnly(patch),
        ...(Object.hasOwn(patch, 'error') ? { error: patch.error } : {}),
        updatedAt: new Date(),
      };
      const entity = { partitionKey: shardPartition(jobId), rowKey: shardRowKey(shardId), ...toShardRow(next) };
      const response = await call(what, () => table.updateEntity(entity, 'Replace', { etag }));
      if (!response.etag) throw new PermanentError(`${what}: update returned no ETag`);
      return { ...next, etag: response.etag };
    },

    async listShards(jobId, query = {}) {
      const filter = query.state === undefined ? '' : odata` and state eq ${query.state}`;
      const shards = (await shardRows(jobId, filter)).map((r) => fromShardRow(jobId, r));
      return shards.sort((a, b) => (a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0));
    },

    async countShards(jobId) {
      const counts = Object.fromEntries(SHARD_STATES.map((s) => [s, 0])) as Record<ShardState, number>;
      for (const row of await shardRows(jobId, '', ['state'])) counts[row.state] += 1;
      return counts;
    },

    async close() {},
  };
}

/** Production: identity-based access (managed identity, workload identity, Azure CLI...). */
export function tableJobLedgerFromEndpoint(
  endpoint: string,
  tableName: string,
  credential: TokenCredential,
): JobLedger {
  return createTableJobLedger({ tableClient: new TableClient(endpoint, tableName, credential) });
}

/**
 * Local emulators only (Azurite in tests and demos); plain-http endpoints are allowed.
 * Production accounts disable shared-key access: use `tableJobLedgerFromEndpoint` there.
 */
export function tableJobLedgerFromConnectionString(connectionString: string, tableName: string): JobLedger {
  const allowInsecureConnection = /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connectionString);
  return createTableJobLedger({
    tableClient: TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection }),
  });
}

/** The smallest string greater than every string starting with `prefix`. */
function rangeEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
