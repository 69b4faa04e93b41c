/**
 * The row-level error report of a job: counts by reason, with the first row numbers of each,
 * and the error budget (a fraction of rows) past which the job fails.
 */
export interface RowErrorSummary {
  readonly rows: number;
  readonly badRows: number;
  readonly byReason: Record<string, { count: number; firstRows: number[]; example: string }>;
}

export class RowErrorReport {
  private rows = 0;
  private badRows = 0;
  private readonly byReason: RowErrorSummary['byReason'] = {};

  constructor(private readonly keepFirst = 10) {}

  countRow(): void {
    this.rows += 1;
  }

  /** Records a bad data row. `row` is the 1-based line number in the file (the header is line 1). */
  reject(row: number, reason: string, detail: string): void {
    this.badRows += 1;
    const entry = (this.byReason[reason] ??= { count: 0, firstRows: [], example: `line ${row}: ${detail}` });
    entry.count += 1;
    if (entry.firstRows.length < this.keepFirst) entry.firstRows.push(row);
  }

  /** Moves rows already counted as good to a reason (e.g. their series turned out to have no model). */
  rejectMany(rows: readonly number[], count: number, reason: string, detail: string): void {
    this.badRows += count;
    const entry = (this.byReason[reason] ??= { count: 0, firstRows: [], example: `line ${rows[0] ?? '?'}: ${detail}` });
    entry.count += count;
    for (const r of rows) if (entry.firstRows.length < this.keepFirst) entry.firstRows.push(r);
  }

  summary(): RowErrorSummary {
    return { rows: this.rows, badRows: this.badRows, byReason: structuredClone(this.byReason) };
  }
}

/** Undefined when within budget; otherwise the reason the job fails. */
export function checkErrorBudget(s: RowErrorSummary, budgetFraction: number): string | undefined {
  if (s.rows === 0) return 'the file has no data rows';
  if (s.badRows === s.rows) return `all ${s.rows} data rows are invalid (${describeReasons(s)})`;
  const fraction = s.badRows / s.rows;
  if (fraction > budgetFraction) {
    return `${s.badRows} of ${s.rows} rows (${(fraction * 100).toFixed(2)}%) are invalid, over the error budget of ${(budgetFraction * 100).toFixed(2)}% (${describeReasons(s)})`;
  }
  return undefined;
}

function describeReasons(s: RowErrorSummary): string {
  return Object.entries(s.byReason)
    .map(([reason, e]) => `${reason}: ${e.count}, first at line ${e.firstRows.join(', ')}`)
    .join('; ');
}
