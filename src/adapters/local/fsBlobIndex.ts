import { randomBytes } from 'node:crypto';
import { NotFoundError, PreconditionFailedError } from '../../core/errors.js';
import type { BlobChange, BlobProperties } from '../../ports/blobStore.js';
import { immediate, openSqliteDb, type SqliteDb } from './sqliteDb.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS containers (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
  container TEXT NOT NULL,
  name TEXT NOT NULL,
  etag TEXT NOT NULL,
  content_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT,
  metadata TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (container, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  container TEXT NOT NULL,
  name TEXT NOT NULL,
  etag TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_container ON changes (container, seq);
`;

/** One blob as the index stores it; `contentId` names the data file and changes only with the content. */
export interface BlobRow {
  readonly container: string;
  readonly name: string;
  readonly etag: string;
  readonly content_id: string;
  readonly size: number;
  readonly content_type: string | null;
  readonly metadata: string;
  readonly last_modified: number;
}

export interface IndexedPut {
  readonly contentId: string;
  readonly size: number;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly ifNoneMatch?: '*';
  readonly ifMatch?: string;
}

export function newTag(): string {
  return randomBytes(16).toString('hex');
}

export function toProperties(row: BlobRow): BlobProperties {
  return {
    container: row.container,
    name: row.name,
    etag: row.etag,
    size: row.size,
    contentType: row.content_type ?? undefined,
    lastModified: new Date(row.last_modified),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}

/**
 * The SQLite index of a directory-backed blob store: blob properties, containers and the change feed.
 * Every write runs in an IMMEDIATE transaction, so conditions are checked race-free across processes.
 */
export class FsBlobIndex {
  private readonly db: SqliteDb;

  constructor(file: string) {
    this.db = openSqliteDb(file, SCHEMA);
  }

  ensureContainer(container: string): void {
    this.db.prepare('INSERT OR IGNORE INTO containers (name) VALUES (?)').run(container);
  }

  requireContainer(container: string): void {
    const found = this.db.prepare('SELECT 1 FROM containers WHERE name = ?').get(container);
    if (found === undefined) throw new NotFoundError(`container ${container}`);
  }

  get(container: string, name: string): BlobRow | undefined {
    return this.db.prepare('SELECT * FROM blobs WHERE container = ? AND name = ?').get(container, name) as
      BlobRow | undefined;
  }

  /**
   * Checks the put's conditions, runs `moveIntoPlace` (the rename of the data file) and records the
   * new row and its change, all under the write lock. Returns the new row and the one it replaced.
   */
  put(
    container: string,
    name: string,
    put: IndexedPut,
    moveIntoPlace: () => void,
  ): { row: BlobRow; replaced: BlobRow | undefined } {
    return immediate(this.db, () => {
      this.requireContainer(container);
      const replaced = this.get(container, name);
      const what = `blob ${container}/${name}`;
      if (put.ifNoneMatch === '*' && replaced !== undefined) throw new PreconditionFailedError(what);
      if (put.ifMatch !== undefined && replaced?.etag !== put.ifMatch) throw new PreconditionFailedError(what);
      const row: BlobRow = {
        container,
        name,
        etag: newTag(),
        content_id: put.contentId,
        size: put.size,
        content_type: put.contentType ?? null,
        metadata: JSON.stringify(put.metadata),
        last_modified: Date.now(),
      };
      moveIntoPlace();
      this.db
        .prepare(
          `INSERT OR REPLACE INTO blobs (container, name, etag, content_id, size, content_type, metadata, last_modified)
           VALUES (@container, @name, @etag, @content_id, @size, @content_type, @metadata, @last_modified)`,
        )
        .run(row);
      this.db.prepare('INSERT INTO changes (container, name, etag) VALUES (?, ?, ?)').run(container, name, row.etag);
      return { row, replaced };
    });
  }

  setMetadata(
    container: string,
    name: string,
    metadata: Readonly<Record<string, string>>,
    ifMatch: string | undefined,
  ): BlobRow {
    return immediate(this.db, () => {
      const current = this.requireBlob(container, name, ifMatch);
      const row: BlobRow = {
        ...current,
        etag: newTag(),
        metadata: JSON.stringify(metadata),
        last_modified: Date.now(),
      };
      this.db
        .prepare('UPDATE blobs SET etag = ?, metadata = ?, last_modified = ? WHERE container = ? AND name = ?')
        .run(row.etag, row.metadata, row.last_modified, container, name);
      return row;
    });
  }

  delete(container: string, name: string, ifMatch: string | undefined): BlobRow {
    return immediate(this.db, () => {
      const current = this.requireBlob(container, name, ifMatch);
      this.db.prepare('DELETE FROM blobs WHERE container = ? AND name = ?').run(container, name);
      return current;
    });
  }

  /** Up to `limit` rows with names greater than `after` (or from `from` inclusive), in name order. */
  page(container: string, from: string, after: string | undefined, limit: number): BlobRow[] {
    const sql =
      after === undefined
        ? 'SELECT * FROM blobs WHERE container = ? AND name >= ? ORDER BY name LIMIT ?'
        : 'SELECT * FROM blobs WHERE container = ? AND name > ? ORDER BY name LIMIT ?';
    return this.db.prepare(sql).all(container, after ?? from, limit) as BlobRow[];
  }

  changesSince(container: string, afterSeq: number, limit: number): BlobChange[] {
    const rows = this.db
      .prepare('SELECT seq, name, etag FROM changes WHERE container = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(container, afterSeq, limit) as { seq: number; name: string; etag: string }[];
    return rows.map((r) => ({ cursor: String(r.seq), name: r.name, etag: r.etag }));
  }

  close(): void {
    this.db.close();
  }

  private requireBlob(container: string, name: string, ifMatch: string | undefined): BlobRow {
    const current = this.get(container, name);
    if (current === undefined) throw new NotFoundError(`blob ${container}/${name}`);
    if (ifMatch !== undefined && current.etag !== ifMatch)
      throw new PreconditionFailedError(`blob ${container}/${name}`);
    return current;
  }
}
