import { join } from 'node:path';
import { checkSqliteFile, isCorruptionError } from '../../adapters/local/sqliteDb.js';
import type { Logger } from '../../ports/logger.js';

/** The SQLite files of the embedded runtime under its home, and what each one holds. */
export function localDatabases(home: string): { readonly file: string; readonly holds: string }[] {
  return [
    { file: join(home, 'queue.sqlite'), holds: 'the work queue (queued and dead-lettered messages)' },
    { file: join(home, 'ledger.sqlite'), holds: "the job ledger (every job's state and report)" },
    { file: join(home, 'events.sqlite'), holds: "the event log (sensor readings and the aggregator's checkpoints)" },
    {
      file: join(home, 'blobs', '.tessera-blobs.sqlite'),
      holds: "the blob store's index (without it no stored input, model or result can be found)",
    },
  ];
}

/**
 * Before a runtime starts on `home`: SQLite's quick_check of every database file, so a damaged one
 * stops it at once with an error naming the file and what to do (instead of workers crash-looping on
 * it). A file of 0 bytes would silently become a new, empty database: that is said loudly.
 */
export function checkLocalDatabases(home: string, log: Logger): void {
  for (const { file, holds } of localDatabases(home)) {
    if (checkSqliteFile(file, holds) === 'empty')
      log.error(
        `${file} is empty (0 bytes): starting it afresh, so ${holds} is gone. If it held data, stop now and restore it from a backup`,
        { file },
      );
  }
}

/**
 * What a child process says when it dies of `error`: for a SQLite corruption error (which names no
 * file), the damaged file found by checking them all; otherwise the error itself.
 */
export function explainFailure(error: Error, home: string): Error {
  if (!isCorruptionError(error)) return error;
  for (const { file, holds } of localDatabases(home)) {
    try {
      checkSqliteFile(file, holds);
    } catch (found) {
      return found as Error;
    }
  }
  return error;
}
