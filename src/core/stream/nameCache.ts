/**
 * Device ids and tags decoded recently, by their characters: decoding the same name again returns
 * the string made the first time instead of a new copy. That saves an allocation per name, and a
 * Map keyed by names (the aggregator's series) then finds the string by its cached hash and by
 * identity instead of hashing a fresh copy. A bounded direct-mapped table (a new name evicts the one
 * in its slot); names are compared character by character, so the result is always an equal string.
 * Module state, but invisible in any result: only which equal string object is returned depends on it.
 */
const SLOTS = 4096;
/** Longer names are returned but not kept, so the table stays small whatever producers send. */
const MAX_CACHED_LENGTH = 64;
const names: string[] = new Array<string>(SLOTS).fill('');

/**
 * The JSON string whose characters start at `start` (after its opening quote), when it is closed
 * before `n` and has no escape and no control character; else undefined. Its closing quote is at
 * `start + result.length`.
 */
export function plainNameAt(s: string, start: number, n: number): string | undefined {
  let h = 0x811c9dc5;
  let i = start;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) break;
    if (c === 92 || c < 32) return undefined;
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (i >= n) return undefined;
  const length = i - start;
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const cached = names[slot] as string;
  if (cached.length === length) {
    let k = 0;
    while (k < length && cached.charCodeAt(k) === s.charCodeAt(start + k)) k += 1;
    if (k === length) return cached;
  }
  const fresh = s.slice(start, i);
  if (length <= MAX_CACHED_LENGTH) names[slot] = fresh;
  return fresh;
}
