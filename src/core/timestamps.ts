/**
 * Event timestamps: ISO 8601 / RFC 3339 with `T` or a space, optional fraction, optional zone.
 * A timestamp without a zone is UTC (the sensor files carry none). Result: epoch milliseconds.
 */
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export function parseTimestamp(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d);
  const hour = Number(h),
    minute = Number(mi),
    second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-6);
  // Not Date.UTC: it maps years 0-99 to 1900-1999 (0001-01-01 would be 1901-01-01).
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Invalid days roll over (Feb 30 -> Mar 2): reject them.
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second, ms);
  let t = date.getTime();
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    t -= sign * offset * 60_000;
  }
  return t;
}

/** The event times a batch job accepts: [minMs, maxMs). */
export interface TimestampRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** `2018-08-28T23:00:00Z`, or with milliseconds when they are not zero. */
export function formatTimestamp(epochMs: number): string {
  // Years 0000-9999 to the millisecond: the date part is made once per day (scores.csv has two a line).
  if (!(epochMs >= FIRST_MS && epochMs < END_MS) || !Number.isInteger(epochMs)) return formatByDate(epochMs);
  const day = Math.floor(epochMs / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = epochMs - day * DAY_MS;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  const time = `${cachedDate}${TWO[hour]}:${TWO[minute]}:${TWO[second]}`;
  return ms === 0 ? `${time}Z` : `${time}.${String(ms).padStart(3, '0')}Z`;
}

function formatByDate(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const DAY_MS = 86_400_000;
const FIRST_MS = -62_167_219_200_000; // 0000-01-01
const END_MS = 253_402_300_800_000; // 10000-01-01
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let cachedDay = Number.NaN;
let cachedDate = '';
