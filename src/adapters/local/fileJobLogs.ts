import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { JobLogLine, JobLogs } from '../../ports/jobLogs.js';

type Offsets = Record<string, number>;

function decodeCursor(cursor: string | undefined): Offsets {
  if (cursor === undefined || cursor === '') return {};
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const offsets = parsed as Record<string, unknown>;
    if (Object.values(offsets).some((v) => !Number.isSafeInteger(v) || (v as number) < 0))
      throw new Error('bad offset');
    return offsets as Offsets;
  } catch {
    throw new InputError('cursor', 'is not a cursor this server returned');
  }
}

/** Complete lines of `file` from byte `start`; returns them and where the last complete line ended. */
async function linesFrom(file: string, start: number, end: number): Promise<{ lines: string[]; next: number }> {
  if (end <= start) return { lines: [], next: start };
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { start, end: end - 1 })) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks);
  const last = text.lastIndexOf(0x0a);
  if (last < 0) return { lines: [], next: start };
  return { lines: text.subarray(0, last).toString('utf8').split('\n'), next: start + last + 1 };
}

/**
 * The embedded runtime's per-job logs: every `*.log` under `dir` (`$TESSERA_HOME/logs`: the
 * runtime's, the workers', the aggregator's and the CLI's JSON lines) filtered by `jobId`. The
 * cursor holds a byte offset per file, so a follower reads only what was appended since; a line
 * still being written is left for the next read.
 */
export function fileJobLogs(dir: string): JobLogs {
  return {
    async read(jobId, options = {}) {
      const offsets = decodeCursor(options.cursor);
      const limit = options.limit ?? 10_000;
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).sort();
      const found: JobLogLine[] = [];
      const next: Offsets = { ...offsets };
      for (const file of files) {
        const path = join(dir, file);
        const size = (await stat(path)).size;
        // A file that shrank was replaced: read it again from its start.
        const from = (offsets[file] ?? 0) > size ? 0 : (offsets[file] ?? 0);
        const { lines, next: end } = await linesFrom(path, from, size);
        next[file] = end;
        for (const line of lines) {
          if (!line.includes(jobId)) continue;
          try {
            const parsed = JSON.parse(line) as JobLogLine;
            if (parsed.jobId === jobId) found.push(parsed);
          } catch {
            // A line that is not JSON (a crash's stack trace on a worker's stderr) names no job.
          }
        }
      }
      found.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      return {
        lines: found.slice(Math.max(0, found.length - limit)),
        cursor: Buffer.from(JSON.stringify(next)).toString('base64url'),
      };
    },
  };
}
