import type { FieldKind, FieldValues } from './readingFields.js';

/** Longest constant text a template keeps: a body with more (a run of whitespace, say) is not learned. */
const MAX_TEXT = 512;
/**
 * Segments at least this long are compared natively (`startsWith`), faster than a loop of
 * `charCodeAt`; shorter ones character by character. Not `slice` then `===`: such a slice is a view,
 * but a new object each time, and those were over a quarter of the ingest bench's allocation.
 */
const LONG = 13;

/**
 * The layout of a reading object that the fast path accepted, less its values: the text between the
 * values (braces, keys, colons, whitespace, commas, quotes, the schema, whose value is fixed, and the
 * names of fields the decoder ignores) and the kind of each value. A producer sends the same layout every time, so the next body can be
 * checked against it in one pass, comparing characters, instead of being parsed key by key.
 *
 * A body matches when its text outside the values equals the template's and each value is read by
 * the same `FieldValues` rules as the full scan; the full scan would then find the same keys (once
 * each, all required ones present) and the same values, so a match gives exactly its result. Values
 * end where those rules say (the first quote of a string, the end of the number grammar), and the
 * text after them must then match too, so a value cannot swallow or hide structure.
 */
export class ReadingTemplate {
  private constructor(
    /** The constant text, segment after segment. */
    private readonly text: Uint16Array,
    /** Segment k (before value k; the last one closes the body) is text[ends[k - 1] ?? 0, ends[k]). */
    private readonly ends: Int32Array,
    private readonly kinds: readonly FieldKind[],
    /** The segments as strings, compared whole when long. */
    private readonly segments: readonly string[],
  ) {}

  /**
   * The template of the object at body[from, to), whose values (in order) are [starts[k], ends[k])
   * of kind kinds[k]; undefined when its constant text is too long to be worth keeping.
   */
  static learn(
    body: string,
    from: number,
    to: number,
    kinds: readonly FieldKind[],
    starts: Int32Array,
    ends: Int32Array,
  ): ReadingTemplate | undefined {
    const fields = kinds.length;
    let length = to - from;
    for (let k = 0; k < fields; k++) length -= (ends[k] as number) - (starts[k] as number);
    if (length > MAX_TEXT) return undefined;
    const text = new Uint16Array(length);
    const segmentEnds = new Int32Array(fields + 1);
    const segments: string[] = [];
    let at = 0;
    for (let k = 0; k <= fields; k++) {
      const segmentTo = k < fields ? (starts[k] as number) : to;
      const segmentStart = at;
      for (let i = from; i < segmentTo; i++) text[at++] = body.charCodeAt(i);
      segmentEnds[k] = at;
      segments.push(String.fromCharCode(...text.subarray(segmentStart, at))); // a copy: a slice would keep the body
      from = ends[k] as number;
    }
    return new ReadingTemplate(text, segmentEnds, kinds.slice(), segments);
  }

  /**
   * Reads the object starting at `start` into `values` if it has this layout, and returns where it
   * ends (just after its closing brace); otherwise -1, and `values` holds whatever was read before
   * the mismatch.
   */
  matchAt(body: string, values: FieldValues, start: number, n: number): number {
    const text = this.text,
      ends = this.ends,
      kinds = this.kinds;
    const fields = kinds.length;
    let i = start,
      from = 0;
    for (let k = 0; ; k++) {
      const to = ends[k] as number;
      if (i + to - from > n) return -1;
      if (to - from >= LONG) {
        if (!body.startsWith(this.segments[k] as string, i)) return -1;
        i += to - from;
      } else for (let t = from; t < to; t++, i++) if (body.charCodeAt(i) !== text[t]) return -1;
      if (k === fields) return i;
      from = to;
      i = values.read(kinds[k] as FieldKind, body, i, n);
      if (i < 0) return -1;
    }
  }
}
