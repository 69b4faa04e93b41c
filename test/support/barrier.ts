import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A start line for child processes: each writes `<dir>/<id>.ready` and waits until `parties` such files
 * exist, so their work truly overlaps instead of running one after another as they happen to start.
 */
export async function arriveAndWait(dir: string, id: string, parties: number, timeoutMs = 20_000): Promise<void> {
  writeFileSync(join(dir, `${id}.ready`), '');
  const deadline = Date.now() + timeoutMs;
  while (readdirSync(dir).filter((f) => f.endsWith('.ready')).length < parties) {
    if (Date.now() > deadline) throw new Error(`barrier in ${dir}: timed out waiting for ${parties} parties`);
    await sleep(5);
  }
}
