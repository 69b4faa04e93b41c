import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PermanentError, ensureError } from '../../core/errors.js';
import type { BlobChange, BlobChangeFeed } from '../../ports/blobStore.js';
import type { Logger } from '../../ports/logger.js';
import { delay } from '../../lib/delay.js';

export interface InboxWatcherOptions {
  readonly feed: BlobChangeFeed;
  readonly container: string;
  /** Where the feed position is kept, so a restart neither misses nor replays blobs. */
  readonly cursorFile: string;
  readonly onBlob: (change: BlobChange) => Promise<void>;
  readonly pollMs: number;
  readonly log: Logger;
}

function readCursor(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function writeCursor(file: string, cursor: string): void {
  writeFileSync(`${file}.tmp`, cursor);
  renameSync(`${file}.tmp`, file);
}

/**
 * Follows the inbox's change feed (never scanning the container) and hands each new blob to
 * `onBlob`. A blob whose handling fails permanently is logged and skipped, so one bad file never
 * blocks the others; a transient failure is retried on the next tick from the same position.
 */
export async function runInboxWatcher(options: InboxWatcherOptions, stop: AbortSignal): Promise<void> {
  const { feed, container, cursorFile, log } = options;
  let cursor = readCursor(cursorFile);
  let idle = options.pollMs;
  while (!stop.aborted) {
    let changes: BlobChange[] = [];
    try {
      changes = await feed.changesSince(container, cursor, 100);
      for (const change of changes) {
        try {
          await options.onBlob(change);
        } catch (error) {
          if (!(error instanceof PermanentError)) throw error;
          log.error('inbox blob rejected', { blob: `${container}/${change.name}`, error: error.message });
        }
        cursor = change.cursor;
        writeCursor(cursorFile, cursor);
      }
    } catch (error) {
      log.warn('inbox watcher: transient failure, retrying', { error: ensureError(error).message });
    }
    // Idle, the watcher backs off from pollMs to a second (a dropped file waits at most that long);
    // anything seen brings it back to pollMs.
    idle = changes.length === 0 ? Math.min(Math.max(options.pollMs, 1000), idle * 2) : options.pollMs;
    if (changes.length < 100) await delay(idle, stop);
  }
}
