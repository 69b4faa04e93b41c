import { println, type CliIo } from './io.js';

/** Prints rows under a header line, each column as wide as its widest cell (the last one left ragged). */
export function printTable(io: CliIo, headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  println(io, line(headers));
  for (const row of rows) println(io, line(row));
}

/** Prints a value as indented JSON: the API's documented shape. */
export function printJson(io: CliIo, value: unknown): void {
  println(io, JSON.stringify(value, null, 2));
}
