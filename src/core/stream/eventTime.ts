import { parseTimestamp } from '../timestamps.js';

/**
 * Event timestamps of stream readings: the rules of `parseTimestamp` (ISO 8601, `T` or a space, no
 * zone = UTC), with a fast path for the shapes producers send most,
 * `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z]`, that computes the same epoch milliseconds without a regex or a
 * Date. Anything else (other fraction lengths, offsets, years before 1970) takes `parseTimestamp`.
 */
export function parseEventTime(text: string): number | undefined {
  return fastIsoAt(text, 0, text.length) ?? parseTimestamp(text);
}

/**
 * The fast path alone, on `text.slice(at, at + n)` without slicing: epoch ms, or undefined when the
 * text is not of the fast shape (then `parseTimestamp` decides; it agrees wherever this answers).
 */
export function fastIsoAt(text: string, at: number, n: number): number | undefined {
  return n === 19 || n === 20 || n === 23 || n === 24 ? fastIso(text, at, n) : undefined;
}

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000_000;
}

function two(text: string, i: number): number {
  return digit(text, i) * 10 + digit(text, i + 1);
}

/** undefined: not the fast shape (the caller falls back, which also rejects what is invalid). */
function fastIso(text: string, at: number, n: number): number | undefined {
  if (
    text.charCodeAt(at + 4) !== 45 ||
    text.charCodeAt(at + 7) !== 45 ||
    text.charCodeAt(at + 13) !== 58 ||
    text.charCodeAt(at + 16) !== 58
  )
    return undefined;
  const sep = text.charCodeAt(at + 10);
  if (sep !== 84 && sep !== 32) return undefined;
  const hasZ = n === 20 || n === 24;
  if (hasZ && text.charCodeAt(at + n - 1) !== 90) return undefined;
  let ms = 0;
  if (n >= 23) {
    if (text.charCodeAt(at + 19) !== 46) return undefined;
    ms = digit(text, at + 20) * 100 + digit(text, at + 21) * 10 + digit(text, at + 22);
  }
  const year = two(text, at + 0) * 100 + two(text, at + 2);
  const month = two(text, at + 5),
    day = two(text, at + 8),
    hour = two(text, at + 11),
    minute = two(text, at + 14),
    second = two(text, at + 17);
  if (
    ms < 0 ||
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  const date = (year * 100 + month) * 100 + day;
  if (date !== lastDate) {
    if (day > daysInMonth(year, month)) return undefined;
    lastDays = daysFromCivil(year, month, day);
    lastDate = date;
  }
  return lastDays * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

// The last valid date seen (YYYYMMDD) and its day number: readings come in runs of the same day, so
// the calendar arithmetic is done once a day. Only speed depends on it.
let lastDate = -1;
let lastDays = 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
