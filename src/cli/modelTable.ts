/** What the table shows of a model version (the jobs API's model shape has it). */
export interface ModelRow {
  readonly ref: string;
  readonly sha256: string;
  readonly createdAt: string;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly meta: Readonly<Record<string, string>>;
  readonly inferred?: Readonly<Record<string, string>>;
}

const HEADERS = ['MODEL', 'SHA256', 'CREATED', 'WINDOW', 'TAGS', 'INFERRED', 'METADATA'] as const;

/**
 * `tessera models list` as a table with a header line: each version's ref, short sha256, creation
 * time, window length (an anomaly model's `window_seconds`, `-` for none), tags, the settings
 * inferred from the model's own metadata (marked when `--meta` overrode one), and the metadata
 * consumers read. Columns are padded to their widest cell; the last runs to the end of the line.
 */
export function modelTable(records: readonly ModelRow[]): string[] {
  const rows = records.map((r) => [
    r.ref,
    r.sha256.slice(0, 12),
    r.createdAt,
    r.metadata.window_seconds === undefined ? '-' : `${r.metadata.window_seconds} s`,
    r.tags.length > 0 ? r.tags.join(',') : '-',
    inferredCell(r),
    Object.entries(r.metadata)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)];
}

function inferredCell(r: ModelRow): string {
  const inferred = Object.entries(r.inferred ?? {});
  if (inferred.length === 0) return '-';
  return inferred.map(([k, v]) => `${k}=${v}${r.meta[k] !== undefined ? ' (overridden)' : ''}`).join(' ');
}
