import { controlQueue } from '../../../functions/src/functions/controlQueue.js';
import { TERMINAL_JOB_STATES } from '../../../src/ports/jobLedger.js';
import { deliverControlMessage, type AzureWorld } from './azureWorld.js';

/** What the host and the scorers do until the job ends: control messages through the trigger, shards dispatched. */
export async function runToEnd(world: AzureWorld, jobId: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const job = await world.ctx.ledger.getJob(jobId);
    if (job && TERMINAL_JOB_STATES.includes(job.state)) return;
    const [control] = await world.ctx.control.receive({ maxMessages: 1, maxWaitMs: 0 });
    if (control) {
      await world.ctx.control.abandon(control);
      await deliverControlMessage(world, controlQueue);
      continue;
    }
    for (const m of await world.ctx.queue.receive({ maxMessages: 10, maxWaitMs: 200 })) {
      await world.ctx.dispatch(m.body);
      await world.ctx.queue.complete(m);
    }
  }
  throw new Error(`job ${jobId} did not end`);
}
