/**
 * Child process for the multi-process ledger test: increments `counts.n` of one job `times` times,
 * each with a read-modify-write retried on PreconditionFailedError, then prints `{ conflicts }` as JSON.
 * Usage: node --import tsx ledgerIncrementer.ts <file> <jobId> <times> <barrierDir> <parties> <writerId>
 */
import { PreconditionFailedError } from '../../src/core/errors.js';
import { openSqliteJobLedger } from '../../src/adapters/local/sqliteJobLedger.js';
import { arriveAndWait } from './barrier.js';

const [file, jobId, times, barrierDir, parties, writerId] = process.argv.slice(2);
if (
  file === undefined ||
  jobId === undefined ||
  times === undefined ||
  barrierDir === undefined ||
  parties === undefined ||
  writerId === undefined
) {
  throw new Error('usage: ledgerIncrementer.ts <file> <jobId> <times> <barrierDir> <parties> <writerId>');
}
const ledger = openSqliteJobLedger({ file });
await arriveAndWait(barrierDir, writerId, Number(parties));
let conflicts = 0;
for (let i = 0; i < Number(times); i++) {
  for (;;) {
    const job = await ledger.getJob(jobId);
    if (job === undefined) throw new Error(`job ${jobId} vanished`);
    try {
      await ledger.updateJob(jobId, { counts: { ...job.counts, n: (job.counts['n'] ?? 0) + 1 } }, job.etag);
      break;
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      conflicts++;
    }
  }
}
await ledger.close();
process.stdout.write(`${JSON.stringify({ conflicts })}\n`);
