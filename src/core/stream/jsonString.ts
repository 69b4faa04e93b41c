/**
 * JSON strings with escapes, for the reading fast path: the plain scans (`stringEnd`, `plainNameAt`)
 * give up at a backslash, and a producer that escapes a name (`caf\u00e9`, `a\/b`) would otherwise
 * send every body to `JSON.parse`. Decoding follows JSON exactly, as `JSON.parse` does: the eight
 * short escapes and \uXXXX, each \u unit as it is (a lone surrogate stays one).
 */

/** The index of the closing quote of the string whose characters start at `i`, escapes allowed; -1 when unterminated, holding a control character or a bad escape. */
export function escapedStringEnd(s: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) return i;
    if (c < 32) return -1;
    if (c !== 92) continue;
    if (i + 1 >= n) return -1;
    const e = s.charCodeAt(i + 1);
    if (e === 117) {
      if (i + 5 >= n) return -1;
      for (let k = i + 2; k < i + 6; k++) if (hexValue(s.charCodeAt(k)) < 0) return -1;
      i += 5;
    } else if (shortEscape(e) < 0) return -1;
    else i += 1;
  }
  return -1;
}

/** The characters of s[start, end), a string body `escapedStringEnd` accepted, with its escapes decoded. */
export function unescape(s: string, start: number, end: number): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    out += s.slice(from, i);
    const e = s.charCodeAt(i + 1);
    if (e === 117) {
      let unit = 0;
      for (let k = i + 2; k < i + 6; k++) unit = unit * 16 + hexValue(s.charCodeAt(k));
      out += String.fromCharCode(unit);
      i += 5;
    } else {
      out += String.fromCharCode(shortEscape(e));
      i += 1;
    }
    from = i + 1;
  }
  return out + s.slice(from, end);
}

/** The character a short escape (the letter after the backslash) stands for, or -1. */
function shortEscape(e: number): number {
  switch (e) {
    case 34:
    case 92:
    case 47:
      return e;
    case 98:
      return 8;
    case 102:
      return 12;
    case 110:
      return 10;
    case 114:
      return 13;
    case 116:
      return 9;
    default:
      return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
