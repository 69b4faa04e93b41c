import { parseTimestamp } from '../../core/timestamps.js';
import { splitCsvLine } from '../../core/csvLine.js';
import { InputError, NotFoundError } from '../../core/errors.js';
import { CONTAINERS } from '../../core/jobNaming.js';
import type { BlobStore } from '../../ports/blobStore.js';
import { textLines } from '../../lib/textLines.js';

/**
 * One series' scored windows as columns (one array per feature, index-aligned), ready to plot:
 * time in Unix seconds at the window's start, the window features, the model's score and label
 * (-1 an anomaly), and a stream run's window revision (1 for batch jobs).
 */
export interface SeriesView {
  readonly device: string;
  readonly tag: string;
  /** `name@version` of the model that scored it (the last window's). */
  readonly model: string | null;
  readonly windows: {
    readonly start: number[];
    readonly end: number[];
    readonly count: number[];
    readonly mean: number[];
    readonly std: number[];
    readonly min: number[];
    readonly max: number[];
    readonly score: number[];
    readonly label: number[];
    readonly revision: number[];
  };
  readonly anomalies: number;
}

const NUMERIC = ['count', 'mean', 'std', 'min', 'max', 'score', 'label', 'revision'] as const;

/** A job's scores.csv by series (device, tag), in file order; `only` keeps one series. */
export async function readSeries(
  blobs: BlobStore,
  jobId: string,
  only?: { readonly device?: string; readonly tag?: string },
  maxWindows = 200_000,
): Promise<SeriesView[]> {
  const name = `${jobId}/scores.csv`;
  if (!(await blobs.head(CONTAINERS.results, name)))
    throw new NotFoundError(`scores.csv of job ${jobId} (it has none until it ends, and a video job has none)`);
  const { stream } = await blobs.get(CONTAINERS.results, name);
  const series = new Map<string, SeriesView>();
  let columns: Map<string, number> | undefined;
  let windows = 0;
  for await (const line of textLines(stream, `${CONTAINERS.results}/${name}`)) {
    if (line === '') continue;
    const fields = splitCsvLine(line);
    if (!fields) continue;
    if (!columns) {
      columns = new Map(fields.map((f, i) => [f, i]));
      continue;
    }
    const at = (c: string): string => fields[columns?.get(c) ?? -1] ?? '';
    const device = at('device');
    const tag = at('tag');
    if ((only?.device !== undefined && device !== only.device) || (only?.tag !== undefined && tag !== only.tag))
      continue;
    if (++windows > maxWindows)
      throw new InputError(`job ${jobId}`, `more than ${maxWindows} windows: ask for one series (?device=&tag=)`);
    const key = `${device}\n${tag}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = emptySeries(device, tag)));
    const w = s.windows;
    w.start.push(seconds(at('window_start')));
    w.end.push(seconds(at('window_end')));
    for (const c of NUMERIC) w[c].push(c === 'revision' && !columns.has(c) ? 1 : Number(at(c)));
    (s as { model: string | null }).model = at('model') || null;
    if (at('label') === '-1') (s as { anomalies: number }).anomalies += 1;
  }
  return [...series.values()];
}

function emptySeries(device: string, tag: string): SeriesView {
  const windows = {
    start: [],
    end: [],
    count: [],
    mean: [],
    std: [],
    min: [],
    max: [],
    score: [],
    label: [],
    revision: [],
  };
  return { device, tag, model: null, windows, anomalies: 0 };
}

function seconds(text: string): number {
  const ms = parseTimestamp(text);
  return ms === undefined ? Number.NaN : ms / 1000;
}
