/**
 * Strict JSON scanning over a string, without allocation: the pieces the reading fast path is made
 * of. Every read is bounds-checked: reading past the end (NaN) would deoptimise a scan into a slow path.
 */

/**
 * The length of an ISO timestamp string starting at `at` if it has one of the fast lengths (24, 20,
 * 23, 19, tried in that order, the commonest first) followed by a quote, else 0. `fastIsoAt` then
 * checks every character, so a match cannot hide a quote or an escape.
 */
export function isoLength(s: string, at: number, n: number): number {
  for (const len of ISO_LENGTHS) if (at + len < n && s.charCodeAt(at + len) === 34) return len;
  return 0;
}

const ISO_LENGTHS = [24, 20, 23, 19] as const;

/** `s.startsWith(literal, at)`, inlined. */
export function matches(s: string, at: number, literal: string): boolean {
  for (let k = 0; k < literal.length; k++) if (s.charCodeAt(at + k) !== literal.charCodeAt(k)) return false;
  return true;
}

const EXACT_POWERS_OF_TEN = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * The JSON number in s[start, end) (already checked against the grammar), as `Number` reads it.
 * Without an exponent and with at most 15 significant digits, the digits form an exact integer and
 * 10^fraction digits an exact double, so one division is the correctly rounded result (Clinger's
 * fast path); anything else takes `Number`.
 */
export function numberAt(s: string, start: number, end: number): number {
  let i = start;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i += 1;
  let mantissa = 0,
    digits = 0,
    fraction = -1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) fraction = 0;
    else if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits += 1;
      if (fraction >= 0) fraction += 1;
    } else return Number(s.slice(start, end)); // exponent
  }
  if (digits > 15) return Number(s.slice(start, end));
  const magnitude = fraction > 0 ? mantissa / (EXACT_POWERS_OF_TEN[fraction] as number) : mantissa;
  return negative ? -magnitude : magnitude;
}

export function skipWs(s: string, i: number, n: number): number {
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i += 1;
  }
  return n;
}

/** Index of the closing quote of a string starting at `i`; -1 when unterminated or holding an escape or a control character. */
export function stringEnd(s: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 || c < 32) return -1;
  }
  return -1;
}

function digitAt(s: string, i: number, n: number): boolean {
  if (i >= n) return false;
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** End of a number in strict JSON grammar starting at `i` (< n), or -1. */
export function numberEnd(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) === 45) i += 1;
  if (i >= n) return -1;
  const first = s.charCodeAt(i);
  if (first === 48) i += 1;
  else if (first >= 49 && first <= 57) while (digitAt(s, ++i, n));
  else return -1;
  if (i < n && s.charCodeAt(i) === 46) {
    if (!digitAt(s, ++i, n)) return -1;
    while (digitAt(s, ++i, n));
  }
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i += 1;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i += 1;
    if (!digitAt(s, i, n)) return -1;
    while (digitAt(s, ++i, n));
  }
  return i;
}
