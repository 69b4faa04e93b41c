/**
 * The job bench's input and what it measures with: the shared sensor readings tiled COPIES times
 * (each copy shifted by SHIFT_HOURS, past the 4 h the file spans, so every window is distinct), a
 * TESSERA_HOME with the oracle's 15 models, peak RSS of a process tree, and a scores.csv reader.
 */
import { once } from 'node:events';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { openLocalContext } from '../src/composition/local/localContext.js';
import { createLogger } from '../src/hosting/logger.js';
import { parseTimestamp } from '../src/core/timestamps.js';
import { fixturesDir, ocsvmDir, readOcsvmManifest } from '../test/support/fixtures.js';

const SHIFT_HOURS = 5;

/** The source's own timestamp shape: `2018-08-28 23:00:05.000`. */
const fixtureTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/**
 * Writes the sensor readings tiled `copies` times, each copy shifted by `shiftMs` (default 5 h) and
 * its times written by `format` (default the source's own shape); returns the rows.
 */
export async function tiledReadings(
  file: string,
  copies: number,
  shiftMs = SHIFT_HOURS * 3_600_000,
  format: (ms: number) => string = fixtureTime,
): Promise<number> {
  const lines = readFileSync(path.join(fixturesDir, 'sensors/batchai-sensor_data.csv'), 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((l) => {
    const comma = l.indexOf(',');
    return { ts: parseTimestamp(l.slice(0, comma)) ?? 0, rest: l.slice(comma) };
  });
  const out = createWriteStream(file);
  out.write(`${lines[0]}\n`);
  for (let c = 0; c < copies; c++) {
    let chunk = '';
    for (const r of rows) chunk += `${format(r.ts + c * shiftMs)}${r.rest}\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows.length * copies;
}

/** A TESSERA_HOME with the 15 oracle models registered as `ocsvm-<device>-<tag>` (version 1). */
export async function homeWithModels(home: string): Promise<void> {
  const ctx = openLocalContext(loadConfig({ TESSERA_HOME: home }), createLogger({ level: 'error', sink: () => {} }));
  try {
    await ctx.ensureContainers();
    for (const m of readOcsvmManifest().models)
      await ctx.registry.add(`ocsvm-${m.device}-${m.tag}`, readFileSync(path.join(ocsvmDir, m.model)));
  } finally {
    await ctx.close();
  }
}

/** Samples the summed RSS of a process and its descendants every `everyMs`; `stop` returns the peak in bytes. */
export function watchRss(rootPid: number, everyMs = 50): { stop(): number } {
  let peak = 0;
  const sample = () => {
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // the process ended meanwhile
      }
    }
    let total = 0;
    for (const queue = [rootPid]; queue.length > 0;) {
      const pid = queue.pop() as number;
      queue.push(...(children.get(pid) ?? []));
      try {
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        total += Number(rss ?? 0) * 1024;
      } catch {
        // ended
      }
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** A scores CSV as `device,tag,window_start` → score and label (ISO starts without milliseconds). */
export function readScoresCsv(file: string): Map<string, { score: number; label: number }> {
  const text = readFileSync(file, 'utf8');
  const [header = '', ...lines] = text.split('\n');
  const columns = header.split(',');
  const at = (name: string) => columns.indexOf(name);
  const [device = 0, tag = 0, start = 0, score = 0, label = 0] = [
    'device',
    'tag',
    'window_start',
    'score',
    'label',
  ].map(at);
  const out = new Map<string, { score: number; label: number }>();
  for (const line of lines) {
    if (line === '') continue;
    const f = line.split(',');
    out.set(`${f[device]},${f[tag]},${f[start]}`, { score: Number(f[score]), label: Number(f[label]) });
  }
  return out;
}

/** The largest score difference between two scores files, and the label differences where the scores are not near 0. */
export function compareScores(
  job: Map<string, { score: number; label: number }>,
  script: Map<string, { score: number; label: number }>,
  tolerance: number,
): { maxAbsDiff: number; missing: number; labelMismatches: number } {
  let maxAbsDiff = 0;
  let missing = 0;
  let labelMismatches = 0;
  for (const [key, s] of script) {
    const j = job.get(key);
    if (!j) {
      missing += 1;
      continue;
    }
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(j.score - s.score));
    if (j.label !== s.label && Math.abs(s.score) > tolerance) labelMismatches += 1;
  }
  missing += [...job.keys()].filter((k) => !script.has(k)).length;
  return { maxAbsDiff, missing, labelMismatches };
}
