/**
 * Child process for the multi-process event log test: appends `count` events in batches to a shared
 * SQLite event log, cycling over a few keys plus keyless batches, and prints the records it got back
 * (`{ records: [[partition, sequenceNumber, body], ...] }`) as JSON.
 * Usage: node --import tsx eventAppender.ts <file> <log> <partitions> <barrierDir> <parties> <appenderId> <count> <batch>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteEventLog } from '../../src/adapters/local/sqliteEventLog.js';
import { arriveAndWait } from './barrier.js';

const args = process.argv.slice(2);
const [file, name, partitions, barrierDir, parties, appenderId, count, batch] = args;
if (args.length !== 8 || args.includes('')) {
  throw new Error(
    'usage: eventAppender.ts <file> <log> <partitions> <barrierDir> <parties> <appenderId> <count> <batch>',
  );
}
const log = openSqliteEventLog({ file: file!, name: name!, partitions: Number(partitions) });
await arriveAndWait(barrierDir!, appenderId!, Number(parties));
const keys = ['device-a', 'device-b', 'device-c', undefined];
const records: [number, number, string][] = [];
for (let start = 0, round = 0; start < Number(count); start += Number(batch), round++) {
  const size = Math.min(Number(batch), Number(count) - start);
  const key = keys[round % keys.length];
  const events = Array.from({ length: size }, (_, i) => ({
    body: JSON.stringify({ appender: appenderId, n: start + i, key: key ?? null }),
  }));
  for (const r of await log.append(key, events)) records.push([r.partition, r.sequenceNumber, r.body]);
  await sleep(1); // a producer does a little work between sends; it also lets the other process's busy wait in
}
await log.close();
process.stdout.write(`${JSON.stringify({ records })}\n`);
