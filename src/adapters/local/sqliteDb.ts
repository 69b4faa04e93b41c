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
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.transaction(() => db.exec(schema)).immediate();
  return db;
}

/** Runs `fn` in an IMMEDIATE transaction: the write lock is taken up front, so read-then-write is race-free across processes. */
export function immediate<T>(db: SqliteDb, fn: () => T): T {
  return db.transaction(fn).immediate();
}
