import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PermanentError } from '../../core/errors.js';

export type SqliteDb = Database.Database;

/** How long a writer waits for another process's transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

/** SQLite's answers for a file that is not a sound database (SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB). */
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;

/**
 * A damaged database file: names it and says what to do. Retrying cannot help, so it is permanent,
 * and a process that meets it stops instead of crash-looping.
 */
export function corruptDatabase(file: string, detail: string, cause?: unknown, holds = 'what it held'): PermanentError {
  return new PermanentError(
    `${file} is corrupt (${detail}). Stop every tessera process using it, then restore it from a backup, ` +
      `or move it aside (mv "${file}" "${file}.corrupt") to start again with an empty one (${holds} is lost)`,
    { cause, code: 'CorruptDatabase' },
  );
}

/** True for SQLite's errors that mean a damaged file, wherever they surface (an open, a query). */
export function isCorruptionError(error: unknown): boolean {
  return CORRUPT.test((error as { code?: string } | undefined)?.code ?? '');
}

/**
 * Opens a SQLite file shared safely by several processes: WAL journal, a busy timeout, and
 * the schema created once inside an IMMEDIATE transaction (so concurrent openers do not race).
 * A file that is not a sound database is a PermanentError naming it (corruptDatabase).
 */
export function openSqliteDb(file: string, schema: string): SqliteDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Switching a new file to WAL needs a moment alone with it, and SQLite answers "database is locked"
    // at once, without its busy handler, when several processes open the same new file together.
    retryWhileBusy(() => {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    });
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    retryWhileBusy(() => db.transaction(() => db.exec(schema)).immediate());
    return db;
  } catch (error) {
    db.close();
    throw isCorruptionError(error) ? corruptDatabase(file, (error as Error).message, error) : error;
  }
}

/**
 * Checks a database file before a runtime starts on it: `missing`, `empty` (0 bytes: SQLite would
 * take it for a new database and start afresh), or `ok` once SQLite's quick_check passes. A damaged
 * file throws corruptDatabase with quick_check's first findings.
 */
export function checkSqliteFile(file: string, holds?: string): 'missing' | 'empty' | 'ok' {
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined) return 'missing';
  if (size === 0) return 'empty';
  let db: SqliteDb | undefined;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
    const findings = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
    const problems = findings.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) throw corruptDatabase(file, `quick_check: ${problems.join('; ')}`, undefined, holds);
    return 'ok';
  } catch (error) {
    throw isCorruptionError(error) ? corruptDatabase(file, (error as Error).message, error, holds) : error;
  } finally {
    db?.close();
  }
}

function retryWhileBusy(step: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      step();
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait + Math.random() * wait);
    }
  }
}

/** Runs `fn` in an IMMEDIATE transaction: the write lock is taken up front, so read-then-write is race-free across processes. */
export function immediate<T>(db: SqliteDb, fn: () => T): T {
  return db.transaction(fn).immediate();
}
