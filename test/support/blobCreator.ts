/**
 * Child process for the multi-process blob test: tries to create blobs `n-0..n-{count-1}` with
 * `ifNoneMatch: '*'` in a shared fs blob store and prints the names it won as JSON.
 * Usage: node --import tsx blobCreator.ts <root> <container> <count> <writerTag> <barrierDir> <parties>
 */
import { PreconditionFailedError } from '../../src/core/errors.js';
import { createFsBlobStore } from '../../src/adapters/local/fsBlobStore.js';
import { arriveAndWait } from './barrier.js';

const [root, container, count, tag, barrierDir, parties] = process.argv.slice(2);
if ([root, container, count, tag, barrierDir, parties].includes(undefined)) {
  throw new Error('usage: blobCreator.ts <root> <container> <count> <writerTag> <barrierDir> <parties>');
}
const store = createFsBlobStore({ root: root! });
await arriveAndWait(barrierDir!, tag!, Number(parties));
const won: string[] = [];
// A random order per process: the writers collide on some names and spread over the rest.
const names = Array.from({ length: Number(count) }, (_, i) => `n-${i}`).sort(() => Math.random() - 0.5);
for (const name of names) {
  try {
    await store.put(container!, name, tag!, { ifNoneMatch: '*' });
    won.push(name);
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) throw error;
  }
}
await store.close();
process.stdout.write(`${JSON.stringify(won)}\n`);
