import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

/** How long a writer waits for another process's transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens a SQLite file shared safely by several processes: WAL journal, a busy timeout, and
 * the schema created once inside an IMMEDIATE transaction (so concurrent openers do not race).
 */
export function openSqliteDb(file: string, schema: string): SqliteDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
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
