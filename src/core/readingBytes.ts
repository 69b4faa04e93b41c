import { seriesId, type SeriesKey } from './sharding.js';

/**
 * Reads `TS,Device,Tag,Value` data rows straight from the file's bytes, without a string per line or
 * field: the planner's fast path. It decides only rows in the plain form every sensor file uses
 * (`YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]`, printable ASCII names without quotes or padding, a decimal
 * value of at most 15 digits without exponent) and computes exactly what parseReadingRow computes for
 * them; every other row, valid or not, is left to parseReadingRow (readings.ts), so both paths agree
 * by construction on what they share (fastRow.differential.test.ts checks it on generated rows).
 *
 * Series are numbered in order of first appearance; a row's series is found from its bytes by a hash,
 * so names become strings once per series, not once per row.
 */
export class ReadingBytes {
  /** The last row read by `read`: event time (epoch ms) and value. */
  ts = 0;
  value = 0;
  /** The series by number. */
  readonly series: SeriesKey[] = [];
  private readonly byName = new Map<string, number>();
  private readonly byHash = new Map<number, { bytes: Uint8Array; index: number }[]>();

  /**
   * Reads the row in `bytes[start, end)` (its line end excluded): the series number, with `ts` and
   * `value` set; or -1 when the row is not in the plain form, and only parseReadingRow can tell.
   */
  read(bytes: Uint8Array, start: number, end: number): number {
    const afterTs = this.readTimestamp(bytes, start, end);
    if (afterTs < 0) return -1;
    // Device and tag: printable ASCII, no quote, no padding (trim would change them).
    const nameStart = afterTs + 1;
    let i = nameStart;
    let hash = 0x811c9dc5;
    let commas = 0;
    let deviceEnd = 0;
    for (; i < end; i++) {
      const c = bytes[i] as number;
      if (c === 44) {
        if (commas === 1) break;
        commas = 1;
        deviceEnd = i;
      } else if (c < 32 || c > 126 || c === 34) return -1;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    const nameEnd = i;
    if (commas !== 1 || !plainName(bytes, nameStart, deviceEnd) || !plainName(bytes, deviceEnd + 1, nameEnd)) return -1;
    if (!this.readValue(bytes, nameEnd + 1, end)) return -1;
    return this.seriesOfBytes(bytes, nameStart, deviceEnd, nameEnd, hash);
  }

  /** The number of a series read by parseReadingRow (the slow path), shared with the fast path's. */
  seriesIndex(device: string, tag: string): number {
    const key = seriesId({ device, tag });
    let index = this.byName.get(key);
    if (index === undefined) {
      index = this.series.length;
      this.series.push({ device, tag });
      this.byName.set(key, index);
    }
    return index;
  }

  private seriesOfBytes(bytes: Uint8Array, start: number, deviceEnd: number, end: number, hash: number): number {
    const bucket = this.byHash.get(hash);
    if (bucket) for (const entry of bucket) if (sameBytes(entry.bytes, bytes, start, end)) return entry.index;
    const text = latin1(bytes, start, end);
    const index = this.seriesIndex(text.slice(0, deviceEnd - start), text.slice(deviceEnd - start + 1));
    const entry = { bytes: bytes.slice(start, end), index };
    if (bucket) bucket.push(entry);
    else this.byHash.set(hash, [entry]);
    return index;
  }

  /** Sets `ts` from `YYYY-MM-DD[T ]HH:MM:SS[.f…][Z]` ending at a comma; returns the comma's index, or -1. */
  private readTimestamp(b: Uint8Array, s: number, end: number): number {
    if (s + 19 >= end || b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 13] !== 58 || b[s + 16] !== 58) return -1;
    const sep = b[s + 10];
    if (sep !== 32 && sep !== 84) return -1;
    const year = digits(b, s, 4);
    const month = digits(b, s + 5, 2);
    const day = digits(b, s + 8, 2);
    const hour = digits(b, s + 11, 2);
    const minute = digits(b, s + 14, 2);
    const second = digits(b, s + 17, 2);
    // Date.UTC reads years 0-99 as 1900-1999: parseTimestamp's business, not the fast path's.
    if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return -1;
    if ((hour | minute | second) < 0 || hour > 23 || minute > 59 || second > 59) return -1;
    let i = s + 19;
    let ms = 0;
    if (b[i] === 46) {
      let frac = 0;
      let n = 0;
      for (i += 1; i < end && n < 10; i++, n++) {
        const d = (b[i] as number) - 48;
        if (d < 0 || d > 9) break;
        frac = frac * 10 + d;
      }
      if (n === 0 || n > 9) return -1;
      // As parseTimestamp: Number(`0.${frac}`) is frac / 10^n, correctly rounded either way.
      ms = Math.floor((frac / (POW10[n] as number)) * 1000 + 1e-6);
    }
    if (b[i] === 90 || b[i] === 122) i += 1;
    if (b[i] !== 44) return -1;
    this.ts = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
    return i;
  }

  /** Sets `value` from `[+-]digits[.digits]` (at most 15 digits) filling `[s, end)`; false otherwise. */
  private readValue(b: Uint8Array, s: number, end: number): boolean {
    let i = s;
    const sign = b[i];
    if (sign === 45 || sign === 43) i += 1;
    let mantissa = 0;
    let count = 0;
    let scale = -1;
    for (; i < end; i++) {
      const c = b[i] as number;
      if (c === 46) {
        if (scale >= 0) return false;
        scale = 0;
        continue;
      }
      const d = c - 48;
      if (d < 0 || d > 9) return false;
      mantissa = mantissa * 10 + d;
      count += 1;
      if (scale >= 0) scale += 1;
    }
    if (count === 0 || count > 15) return false;
    // Both exact doubles, so the quotient is the correctly rounded decimal: what Number(text) gives.
    const magnitude = scale > 0 ? mantissa / (POW10[scale] as number) : mantissa;
    this.value = sign === 45 ? -magnitude : magnitude;
    return true;
  }
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

function digits(b: Uint8Array, s: number, n: number): number {
  let v = 0;
  for (let i = s; i < s + n; i++) {
    const d = (b[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse, in integers). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** A non-empty name that trimming leaves as it is. */
function plainName(b: Uint8Array, start: number, end: number): boolean {
  return end > start && b[start] !== 32 && b[end - 1] !== 32;
}

function sameBytes(kept: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (kept.length !== end - start) return false;
  for (let k = 0; k < kept.length; k++) if (kept[k] !== b[start + k]) return false;
  return true;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(b[i] as number);
  return text;
}
