import type { Logger } from '../../ports/logger.js';
import { explainFailure } from './localDatabases.js';

/** How often the parent's pid is looked at, besides the IPC channel's disconnect. */
const CHECK_MS = 1000;

/**
 * The pid of the process that forked this child: the worker pool passes it as the child's first
 * argument. A child started otherwise watches its current parent.
 */
export function forkingParent(argv: readonly string[] = process.argv): number {
  const given = Number(argv[2]);
  return Number.isSafeInteger(given) && given > 0 ? given : process.ppid;
}

/**
 * Ends a child process of the embedded runtime when its parent is gone, however it went (even
 * SIGKILL): the IPC channel the pool forks it with disconnects, and, should there be none, the
 * process is re-parented (its ppid changes). A parent that died while this child was still loading
 * (before the watch began: `tessera run FILE | head -1` ends the CLI at its first line of output) is
 * found by its pid, which the pool hands the child when it forks it; the child's ppid then is
 * already another's, and no disconnect is coming. `stop` is aborted at once so the child drains;
 * after `graceMs` it exits whatever is in hand (as after a SIGKILL: locks expire, uncommitted steps
 * are undone by the next owner). Nothing is left running under PID 1 to compete with a restarted runtime.
 */
export function exitWithParent(stop: AbortController, log: Logger, graceMs = 3000, parent = forkingParent()): void {
  let gone = false;
  const timer = setInterval(() => {
    if (process.ppid !== parent) onGone(`re-parented to ${process.ppid}`);
  }, CHECK_MS);
  timer.unref();
  const onGone = (how: string): void => {
    if (gone) return;
    gone = true;
    clearInterval(timer);
    log.warn('parent process gone; stopping', { parent, how, graceMs });
    stop.abort(new Error(`parent process ${parent} gone (${how})`));
    setTimeout(() => {
      log.warn('still running after the grace period; exiting', { graceMs });
      process.exit(1);
    }, graceMs).unref();
  };
  if (process.ppid !== parent) {
    onGone(`gone before this process watched it (re-parented to ${process.ppid})`);
    return;
  }
  if (process.connected) {
    process.once('disconnect', () => onGone('IPC channel closed'));
    // A 'disconnect' listener refs the channel; unref it, or the child could never exit by itself.
    process.channel?.unref();
  }
}

/** What a child tells the pool before it exits on an error: the reason, for the pool's log and its giving up. */
export interface ChildFailure {
  readonly kind: 'fatal';
  readonly message: string;
}

/**
 * Logs why this child is dying and tells its pool over IPC (a damaged SQLite file is found and
 * named, see explainFailure), so the runtime's console says why, not only that, a worker exited.
 */
export function reportFailure(error: Error, home: string, log: Logger, role: string): void {
  const explained = explainFailure(error, home);
  log.error(`${role} crashed`, { error: explained === error ? (error.stack ?? error.message) : explained.message });
  process.exitCode = 1;
  if (process.connected) process.send?.({ kind: 'fatal', message: explained.message } satisfies ChildFailure);
}
