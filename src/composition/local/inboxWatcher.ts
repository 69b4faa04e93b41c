import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PermanentError, ensureError } from '../../core/errors.js';
import type { BlobChange, BlobChangeFeed } from '../../ports/blobStore.js';
import type { Logger } from '../../ports/logger.js';
import { delay } from '../../lib/delay.js';
import type { AdoptResult } from '../../adapters/local/fsStrayFiles.js';

export interface InboxWatcherOptions {
  readonly feed: BlobChangeFeed;
  readonly container: string;
  /** Where the feed position is kept, so a restart neither misses nor replays blobs. */
  readonly cursorFile: string;
  readonly onBlob: (change: BlobChange) => Promise<void>;
  readonly pollMs: number;
  readonly log: Logger;
  /**
   * Takes in files copied into the container's directory by hand (the directory blob store's
   * adoptStrayFiles): they then come through the change feed like uploads. Called about once a second.
   */
  readonly adopt?: () => Promise<AdoptResult>;
}

const ADOPT_EVERY_MS = 1000;

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
 * `onBlob`; files copied into the directory by hand are taken in first (`adopt`), or logged with why not. A blob whose handling fails permanently is logged and skipped, so one bad file never
 * blocks the others; a transient failure is retried on the next tick from the same position.
 */
export async function runInboxWatcher(options: InboxWatcherOptions, stop: AbortSignal): Promise<void> {
  const { feed, container, cursorFile, log } = options;
  let cursor = readCursor(cursorFile);
  let idle = options.pollMs;
  let adoptedAt = 0;
  const told = new Set<string>();
  while (!stop.aborted) {
    let changes: BlobChange[] = [];
    try {
      if (options.adopt && Date.now() - adoptedAt >= ADOPT_EVERY_MS) {
        adoptedAt = Date.now();
        await adoptStrays(options.adopt, told, container, log);
      }
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

/** Takes in hand-copied files, logging each one taken and, once per file, each one left and why. */
async function adoptStrays(adopt: () => Promise<AdoptResult>, told: Set<string>, container: string, log: Logger) {
  const { adopted, skipped } = await adopt();
  for (const blob of adopted) log.info('inbox file copied in by hand taken in', { blob: `${container}/${blob.name}` });
  for (const { name, reason } of skipped) {
    if (told.has(`${name}\n${reason}`)) continue;
    told.add(`${name}\n${reason}`);
    log.warn('inbox file not picked up', { file: `${container}/${name}`, reason });
  }
}
