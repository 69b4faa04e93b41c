import { randomBytes } from 'node:crypto';
import { NotFoundError, PreconditionFailedError } from '../../core/errors.js';
import type { JobLedger, JobPatch, JobRecord, ShardPatch, ShardRecord, ShardState } from '../../ports/jobLedger.js';
import { LEDGER_SCHEMA, toJob, toShard, type JobRow, type ShardRow } from './sqliteLedgerRows.js';
import { settle } from './settle.js';
import { immediate, openSqliteDb } from './sqliteDb.js';

export interface SqliteJobLedgerOptions {
  /** The SQLite file; several processes may share it. */
  readonly file: string;
}

function newEtag(): string {
  return randomBytes(12).toString('hex');
}

/**
 * The embedded default job ledger over one SQLite file (WAL, busy timeout). Every conditional write
 * compares the ETag and writes inside one IMMEDIATE transaction, so processes sharing the file lose
 * no update; each successful write stores a new random ETag.
 */
export function openSqliteJobLedger(options: SqliteJobLedgerOptions): JobLedger {
  const db = openSqliteDb(options.file, LEDGER_SCHEMA);
  const selectJob = db.prepare('SELECT * FROM ledger_jobs WHERE job_id = ?');
  const selectShard = db.prepare('SELECT * FROM ledger_shards WHERE job_id = ? AND shard_id = ?');
  const getJobRow = (jobId: string): JobRow | undefined => selectJob.get(jobId) as JobRow | undefined;
  const getShardRow = (jobId: string, shardId: string): ShardRow | undefined =>
    selectShard.get(jobId, shardId) as ShardRow | undefined;

  return {
    createJob(job) {
      return settle(() => {
        const at = Date.now();
        const row: JobRow = {
          job_id: job.jobId,
          kind: job.kind,
          state: job.state ?? 'planning',
          input: JSON.stringify(job.input),
          created_at: at,
          updated_at: at,
          shards_total: job.shardsTotal ?? 0,
          counts: JSON.stringify(job.counts ?? {}),
          error: null,
          detail: JSON.stringify(job.detail ?? null),
          etag: newEtag(),
        };
        const inserted = db
          .prepare(
            `INSERT OR IGNORE INTO ledger_jobs (job_id, kind, state, input, created_at, updated_at, shards_total, counts, error, detail, etag)
             VALUES (@job_id, @kind, @state, @input, @created_at, @updated_at, @shards_total, @counts, @error, @detail, @etag)`,
          )
          .run(row).changes;
        if (inserted === 0) throw new PreconditionFailedError(`job ${job.jobId}`);
        return toJob(row);
      });
    },

    getJob(jobId) {
      return settle(() => {
        const row = getJobRow(jobId);
        return row === undefined ? undefined : toJob(row);
      });
    },

    updateJob(jobId, patch: JobPatch, etag) {
      return settle(() =>
        immediate(db, (): JobRecord => {
          const current = getJobRow(jobId);
          if (current === undefined) throw new NotFoundError(`job ${jobId}`);
          if (current.etag !== etag) throw new PreconditionFailedError(`job ${jobId}`);
          const row: JobRow = {
            ...current,
            state: patch.state ?? current.state,
            shards_total: patch.shardsTotal ?? current.shards_total,
            counts: patch.counts === undefined ? current.counts : JSON.stringify(patch.counts),
            error: Object.hasOwn(patch, 'error') ? (patch.error ?? null) : current.error,
            detail: patch.detail === undefined ? current.detail : JSON.stringify(patch.detail),
            updated_at: Date.now(),
            etag: newEtag(),
          };
          db.prepare(
            `UPDATE ledger_jobs SET state = @state, shards_total = @shards_total, counts = @counts, error = @error,
               detail = @detail, updated_at = @updated_at, etag = @etag WHERE job_id = @job_id`,
          ).run(row);
          return toJob(row);
        }),
      );
    },

    listJobs(query = {}) {
      return settle(() => {
        const where: string[] = [];
        const params: (string | number)[] = [];
        if (query.state !== undefined) {
          where.push('state = ?');
          params.push(query.state);
        }
        if (query.kind !== undefined) {
          where.push('kind = ?');
          params.push(query.kind);
        }
        const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
        const limit = query.limit === undefined ? '' : 'LIMIT ?';
        if (query.limit !== undefined) params.push(Math.max(0, Math.floor(query.limit)));
        const rows = db
          .prepare(`SELECT * FROM ledger_jobs ${filter} ORDER BY created_at DESC, id DESC ${limit}`)
          .all(...params) as JobRow[];
        return rows.map(toJob);
      });
    },

    addShards(jobId, shards) {
      return settle(() =>
        immediate(db, () => {
          if (getJobRow(jobId) === undefined) throw new NotFoundError(`job ${jobId}`);
          const at = Date.now();
          const insert = db.prepare(
            `INSERT OR IGNORE INTO ledger_shards (job_id, shard_id, state, attempts, counts, error, detail, updated_at, etag)
             VALUES (?, ?, 'pending', 0, ?, NULL, ?, ?, ?)`,
          );
          return shards.reduce(
            (created, s) =>
              created +
              insert.run(
                jobId,
                s.shardId,
                JSON.stringify(s.counts ?? {}),
                JSON.stringify(s.detail ?? null),
                at,
                newEtag(),
              ).changes,
            0,
          );
        }),
      );
    },

    getShard(jobId, shardId) {
      return settle(() => {
        const row = getShardRow(jobId, shardId);
        return row === undefined ? undefined : toShard(row);
      });
    },

    updateShard(jobId, shardId, patch: ShardPatch, etag) {
      return settle(() =>
        immediate(db, (): ShardRecord => {
          const current = getShardRow(jobId, shardId);
          if (current === undefined) throw new NotFoundError(`shard ${jobId}/${shardId}`);
          if (current.etag !== etag) throw new PreconditionFailedError(`shard ${jobId}/${shardId}`);
          const row: ShardRow = {
            ...current,
            state: patch.state ?? current.state,
            attempts: patch.attempts ?? current.attempts,
            counts: patch.counts === undefined ? current.counts : JSON.stringify(patch.counts),
            error: Object.hasOwn(patch, 'error') ? (patch.error ?? null) : current.error,
            detail: patch.detail === undefined ? current.detail : JSON.stringify(patch.detail),
            updated_at: Date.now(),
            etag: newEtag(),
          };
          db.prepare(
            `UPDATE ledger_shards SET state = @state, attempts = @attempts, counts = @counts, error = @error,
               detail = @detail, updated_at = @updated_at, etag = @etag WHERE job_id = @job_id AND shard_id = @shard_id`,
          ).run(row);
          return toShard(row);
        }),
      );
    },

    listShards(jobId, query = {}) {
      return settle(() => {
        const rows = (
          query.state === undefined
            ? db.prepare('SELECT * FROM ledger_shards WHERE job_id = ? ORDER BY shard_id').all(jobId)
            : db
                .prepare('SELECT * FROM ledger_shards WHERE job_id = ? AND state = ? ORDER BY shard_id')
                .all(jobId, query.state)
        ) as ShardRow[];
        return rows.map(toShard);
      });
    },

    countShards(jobId) {
      return settle(() => {
        const counts: Record<ShardState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
        const rows = db
          .prepare('SELECT state, COUNT(*) AS n FROM ledger_shards WHERE job_id = ? GROUP BY state')
          .all(jobId) as {
          state: ShardState;
          n: number;
        }[];
        for (const { state, n } of rows) counts[state] = n;
        return counts;
      });
    },

    close() {
      if (db.open) db.close();
      return Promise.resolve();
    },
  };
}
