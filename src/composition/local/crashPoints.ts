/**
 * Named crash points for the crash tests (TESSERA_CRASH_AT): a worker or aggregator process kills
 * itself with SIGKILL at the first time it reaches one, exactly as a machine losing power there
 * would, so a test can prove that nothing is lost or doubled whatever step a process dies in.
 *
 * A point is `when:operation[:pattern]`, several separated by commas:
 * - `before:put:PATTERN`, `after:put:PATTERN`: a blob write; PATTERN globs `container/name`
 *   (`*` any characters): `after:put:work/*\/out/*` is "a shard's output written, its ledger not";
 * - `before:updateJob:STATE`, `after:updateJob:STATE`, `before:updateShard:STATE`, `after:updateShard:STATE`,
 *   `after:addShards`: a ledger write (STATE is the state the patch sets, `*` for any);
 * - `before:setCheckpoint`, `after:setCheckpoint`: the aggregator's commit;
 * - `during:renderSegment`, `during:stitch`: 300 ms into the call, while ffmpeg runs.
 * Each point fires once per TESSERA_HOME (a marker file records it), so the process that replaces
 * the dead one runs on. The embedded runtime's parent never crashes: only its workers and aggregator.
 */
import { closeSync, openSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { BlobStore } from '../../ports/blobStore.js';
import { forwardingEventLog, type Checkpoint, type EventLog } from '../../ports/eventLog.js';
import type { JobLedger, JobPatch, NewShard, ShardPatch } from '../../ports/jobLedger.js';
import type { Logger } from '../../ports/logger.js';
import type { VideoTools } from '../../ports/video.js';

const DURING_MS = 300;
const OPERATIONS = {
  before: ['put', 'updateJob', 'updateShard', 'setCheckpoint'],
  after: ['put', 'updateJob', 'updateShard', 'addShards', 'setCheckpoint'],
  during: ['renderSegment', 'stitch'],
} as const;

interface CrashPoint {
  readonly text: string;
  readonly when: 'before' | 'after' | 'during';
  readonly operation: string;
  readonly pattern: RegExp;
}

/** The points of a TESSERA_CRASH_AT value; a malformed one is an InputError naming it. */
export function parseCrashPoints(value: string): CrashPoint[] {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((text) => {
      const [when = '', operation = '', ...rest] = text.split(':');
      const known = (OPERATIONS as Record<string, readonly string[]>)[when];
      if (!known?.includes(operation))
        throw new InputError(
          'TESSERA_CRASH_AT',
          `"${text}" is not a crash point (when:operation[:pattern], e.g. after:put:work/*/out/*)`,
        );
      const glob = rest.join(':') || '*';
      const pattern = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`);
      return { text, when: when as CrashPoint['when'], operation, pattern };
    });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Arms the crash points of `value` on a local context's stores and on its video tools. */
export function armCrashPoints(
  value: string,
  home: string,
  log: Logger,
): {
  stores<S extends { blobs: BlobStore; ledger: JobLedger; events: EventLog }>(stores: S): S;
  tools(tools: VideoTools): VideoTools;
} {
  const points = parseCrashPoints(value);
  const reach = (when: CrashPoint['when'], operation: string, subject: string): void => {
    for (const p of points) {
      if (p.when !== when || p.operation !== operation || !p.pattern.test(subject)) continue;
      // Once per home: the marker is created exclusively, and a point whose marker exists is spent.
      const marker = join(home, `crash-${createHash('sha256').update(p.text).digest('hex').slice(0, 12)}.fired`);
      try {
        closeSync(openSync(marker, 'wx'));
      } catch {
        continue;
      }
      log.warn('crash point reached: killing this process', { point: p.text, subject });
      process.kill(process.pid, 'SIGKILL');
    }
  };
  const around = async <T>(operation: string, subject: string, run: () => Promise<T>): Promise<T> => {
    reach('before', operation, subject);
    const result = await run();
    reach('after', operation, subject);
    return result;
  };
  const during = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    const timer = setTimeout(() => reach('during', operation, operation), DURING_MS);
    try {
      return await run();
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    stores<S extends { blobs: BlobStore; ledger: JobLedger; events: EventLog }>(stores: S): S {
      const { blobs, ledger, events } = stores;
      // Object.create keeps every other method (and the adapters' extras, such as the change feed) by delegation.
      const armed = {
        ...stores,
        blobs: Object.assign(Object.create(blobs) as BlobStore, {
          put: (container: string, name: string, ...rest: PutRest) =>
            around('put', `${container}/${name}`, () => blobs.put(container, name, ...rest)),
        }),
        ledger: Object.assign(Object.create(ledger) as JobLedger, {
          updateJob: (jobId: string, patch: JobPatch, etag: string) =>
            around('updateJob', patch.state ?? '', () => ledger.updateJob(jobId, patch, etag)),
          updateShard: (jobId: string, shardId: string, patch: ShardPatch, etag: string) =>
            around('updateShard', patch.state ?? '', () => ledger.updateShard(jobId, shardId, patch, etag)),
          addShards: (jobId: string, shards: readonly NewShard[]) =>
            around('addShards', jobId, () => ledger.addShards(jobId, shards)),
        }),
        events: {
          ...forwardingEventLog(events),
          setCheckpoint: (checkpoint: Checkpoint) =>
            around('setCheckpoint', String(checkpoint.partition), () => events.setCheckpoint(checkpoint)),
        },
      };
      return armed;
    },
    tools: (tools) => ({
      ...tools,
      renderSegment: (request) => during('renderSegment', () => tools.renderSegment(request)),
      stitch: (request) => during('stitch', () => tools.stitch(request)),
    }),
  };
}

type PutRest = [Parameters<BlobStore['put']>[2], Parameters<BlobStore['put']>[3]?];
