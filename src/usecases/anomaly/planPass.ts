import { InputError } from '../../core/errors.js';
import { modelNameFor } from '../../core/jobNaming.js';
import { ReadingBytes } from '../../core/readingBytes.js';
import { checkReadingsHeader, parseReadingRow } from '../../core/readings.js';
import { RowErrorReport } from '../../core/rowErrors.js';
import { ShardRouter, seriesId, type SeriesKey } from '../../core/sharding.js';
import { chooseShardWindows, estimateRows } from '../../core/shardSpans.js';
import type { PinnedModel } from '../../ports/models.js';
import type { AnomalyDeps } from './deps.js';
import type { PartWriter } from './partWriter.js';

export interface SeriesPlan {
  readonly device: string;
  readonly tag: string;
  readonly model: PinnedModel | undefined;
  readonly windowSeconds: number;
}

/** Rows held before the shard spans are chosen from them (when they are chosen, not set). */
const SAMPLE_ROWS = 65_536;

/** Windows per shard: fixed by the setting, or chosen per series from the sample (`bySeries`, else `otherwise`). */
export interface SpanChoice {
  readonly bySeries: Readonly<Record<string, number>>;
  readonly otherwise: number;
}

/**
 * One streaming pass over a readings CSV: rows are read from the bytes (ReadingBytes; the rare row
 * not in the plain form goes through parseReadingRow), validated, and routed to their shards, whose
 * parts the PartWriter writes while the pass reads on. Until the spans are known (a fixed setting, a
 * choice pinned by an earlier attempt, or chosen here from the first SAMPLE_ROWS rows), rows wait in
 * a sample buffer.
 */
export class PlanPass {
  readonly reader = new ReadingBytes();
  readonly errors = new RowErrorReport();
  readonly router: ShardRouter;
  /** Series by the reader's number; `spanMs` 0 until spans are chosen. */
  readonly series: { plan: SeriesPlan; key: SeriesKey; spanMs: number }[] = [];
  lineNo = 0;
  bytes = 0;
  private spans: SpanChoice | undefined;
  private sample: { index: number[]; ts: number[]; values: number[] } | undefined = { index: [], ts: [], values: [] };

  constructor(
    private readonly deps: AnomalyDeps,
    private readonly label: string,
    private readonly parts: PartWriter,
    private readonly seriesPlan: (device: string, tag: string) => Promise<SeriesPlan>,
    private readonly fileBytes: number,
    spans: SpanChoice | undefined,
  ) {
    this.router = new ShardRouter(deps.settings.planBufferRows);
    this.spans = spans;
    if (spans) this.sample = undefined;
  }

  /** The span choice, once made (to pin on the job). */
  get choice(): SpanChoice | undefined {
    return this.spans;
  }

  /** Reads one block of whole lines. */
  async block(block: Buffer): Promise<void> {
    this.bytes += block.length;
    let start = 0;
    while (start < block.length) {
      let nl = block.indexOf(10, start);
      if (nl < 0) nl = block.length;
      const end = nl > start && block[nl - 1] === 13 ? nl - 1 : nl;
      this.lineNo += 1;
      if (this.lineNo === 1) this.header(block.toString('utf8', start, end));
      else if (end > start) {
        let index = this.reader.read(block, start, end);
        // A time outside the accepted range: the text parser rejects it, naming the bound.
        if (index >= 0 && !this.inRange(this.reader.ts)) index = -1;
        if (index < 0) index = this.readText(block.toString('utf8', start, end));
        else this.errors.countRow();
        if (index >= 0) {
          if (!this.series[index]) await this.meet(index);
          if (this.route(index, this.reader.ts, this.reader.value)) await this.full();
        }
      }
      start = nl + 1;
    }
  }

  /** After the last block: routes what the sample still holds and writes the last parts. */
  async end(): Promise<void> {
    if (this.lineNo === 0) throw new InputError(this.label, 'the file is empty');
    if (this.sample) await this.choose(true);
    await this.parts.write(this.router.flush());
    await this.parts.drain();
  }

  private header(line: string): void {
    const bad = checkReadingsHeader(line);
    if (bad) throw new InputError(this.label, bad);
  }

  private inRange(ts: number): boolean {
    const range = this.deps.settings.timestampRange;
    return !range || (ts >= range.minMs && ts < range.maxMs);
  }

  /** A row the fast path left: the text parser decides. Its series number, or -1 when it is blank or rejected. */
  private readText(line: string): number {
    if (line.trim() === '') return -1;
    this.errors.countRow();
    const row = parseReadingRow(line, this.deps.settings.timestampRange);
    if (!row.ok) {
      this.errors.reject(this.lineNo, row.reason, row.detail);
      return -1;
    }
    this.reader.ts = row.reading.ts;
    this.reader.value = row.reading.value;
    return this.reader.seriesIndex(row.reading.device, row.reading.tag);
  }

  /** Routes a row of a known series; true when the sample or the buffers are full. */
  private route(index: number, ts: number, value: number): boolean {
    const series = this.series[index] as PlanPass['series'][number];
    if (!series.plan.model) {
      const { plan } = series;
      const model = modelNameFor(this.deps.settings.modelPattern, plan);
      this.errors.reject(
        this.lineNo,
        'series has no model',
        `no model "${model}" for device ${plan.device}, tag ${plan.tag}`,
      );
      return false;
    }
    if (!this.sample) return this.router.add(index, series.key, series.spanMs, ts, value);
    this.sample.index.push(index);
    this.sample.ts.push(ts);
    this.sample.values.push(value);
    return this.sample.index.length >= Math.min(SAMPLE_ROWS, this.deps.settings.planBufferRows);
  }

  /** The sample is full (the spans are chosen and its rows routed), or the buffers are (a flush). */
  private async full(): Promise<void> {
    if (this.sample) await this.choose(false);
    else await this.parts.write(this.router.flush());
  }

  private async meet(index: number): Promise<void> {
    const key = this.reader.series[index] as SeriesKey;
    const plan = await this.seriesPlan(key.device, key.tag);
    const entry = { plan, key, spanMs: 0 };
    this.series[index] = entry;
    if (this.spans) entry.spanMs = this.spanMsOf(entry);
  }

  private spanMsOf(s: { plan: SeriesPlan; key: SeriesKey }): number {
    const spans = this.spans as SpanChoice;
    return s.plan.windowSeconds * 1000 * (spans.bySeries[seriesId(s.key)] ?? spans.otherwise);
  }

  /** Chooses the spans (unless set), then routes the rows the sample held. */
  private async choose(complete: boolean): Promise<void> {
    const sample = this.sample as NonNullable<PlanPass['sample']>;
    this.sample = undefined;
    this.spans ??= this.chooseFromSample(sample.index, sample.ts, complete);
    for (const s of this.series) if (s) s.spanMs = this.spanMsOf(s);
    for (let i = 0; i < sample.index.length; i++) {
      const index = sample.index[i] as number;
      const s = this.series[index] as PlanPass['series'][number];
      if (this.router.add(index, s.key, s.spanMs, sample.ts[i] as number, sample.values[i] as number))
        await this.parts.write(this.router.flush());
    }
  }

  private chooseFromSample(index: number[], ts: number[], complete: boolean): SpanChoice {
    const windows = new Map<number, Set<number>>();
    const rows = new Map<number, number>();
    for (let i = 0; i < index.length; i++) {
      const n = index[i] as number;
      const windowMs = (this.series[n] as PlanPass['series'][number]).plan.windowSeconds * 1000;
      if (!windows.has(n)) windows.set(n, new Set());
      windows.get(n)?.add(Math.floor((ts[i] as number) / windowMs));
      rows.set(n, (rows.get(n) ?? 0) + 1);
    }
    const sampled = [...windows.keys()];
    const estimated = estimateRows(index.length, this.bytes, this.fileBytes, complete);
    const chosen = chooseShardWindows(
      sampled.map((n) => ({ rows: rows.get(n) ?? 0, windows: windows.get(n)?.size ?? 1 })),
      estimated,
      this.deps.settings.parallelism,
    );
    const bySeries: Record<string, number> = {};
    sampled.forEach((n, i) => (bySeries[seriesId(this.reader.series[n] as SeriesKey)] = chosen.perSeries[i] as number));
    return { bySeries, otherwise: chosen.otherwise };
  }
}
