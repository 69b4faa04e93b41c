/**
 * Child process for the multi-process queue test: receives and completes from a shared SQLite queue
 * until it stays empty, then prints `{ received, completed, lockLost }` (message ids) as JSON.
 * Usage: node --import tsx queueConsumer.ts <file> <queue> <batchSize> <barrierDir> <parties> <consumerId>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LockLostError } from '../../src/core/errors.js';
import { openSqliteWorkQueue } from '../../src/adapters/local/sqliteWorkQueue.js';
import { arriveAndWait } from './barrier.js';

const [file, queueName, batch, barrierDir, parties, consumerId] = process.argv.slice(2);
if ([file, queueName, batch, barrierDir, parties, consumerId].includes(undefined)) {
  throw new Error('usage: queueConsumer.ts <file> <queue> <batchSize> <barrierDir> <parties> <consumerId>');
}
const queue = openSqliteWorkQueue({ file: file!, queue: queueName!, lockDurationMs: 30_000 });
await arriveAndWait(barrierDir!, consumerId!, Number(parties));
const received: string[] = [];
const completed: string[] = [];
const lockLost: string[] = [];
let emptyPolls = 0;
while (emptyPolls < 3) {
  const messages = await queue.receive({ maxMessages: Number(batch), maxWaitMs: 100 });
  emptyPolls = messages.length === 0 ? emptyPolls + 1 : 0;
  for (const message of messages) {
    received.push(message.messageId);
    await sleep(1); // a little work per message, as a real worker does
    try {
      await queue.complete(message);
      completed.push(message.messageId);
    } catch (error) {
      if (!(error instanceof LockLostError)) throw error;
      lockLost.push(message.messageId);
    }
  }
}
await queue.close();
process.stdout.write(`${JSON.stringify({ received, completed, lockLost })}\n`);
