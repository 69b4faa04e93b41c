import { Cron, CronPattern } from 'croner';

/**
 * Cron schedules in UTC, parsed and evaluated by croner (a pure computation: no timer is started
 * without a callback, and none is given here). Accepted: five fields (minute hour day month
 * weekday), the six-field NCRONTAB form of Azure Functions (second first), names (`JAN`, `MON`),
 * `*`, `?`, lists, ranges and steps (`5/10` = 5 to the end in steps of 10, as NCRONTAB reads it), and
 * the macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
 * Day of month and day of week must both match when both are restricted, as in NCRONTAB (the
 * Functions host's parser), so that a schedule fires at the same instants here and there. Not
 * accepted: croner's `L`, `W` and `#` (NCRONTAB has no such thing).
 */
export interface CronSchedule {
  readonly text: string;
  /** The six-field NCRONTAB form of the same schedule (numbers only), for the Functions timer. */
  readonly ncrontab: string;
  readonly cron: Cron;
}

const OPTIONS = { mode: '5-or-6-parts', sloppyRanges: true } as const;
/** croner's mark of a weekday without `#n` or `L`. */
const ANY_OCCURRENCE = 0b111111;

/** Parses a schedule; throws an Error saying what is wrong with it. */
export function parseCron(text: string): CronSchedule {
  const trimmed = text.trim();
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(trimmed, undefined, OPTIONS);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
    throw new Error(`cron "${text}": ${reason}`);
  }
  if (
    pattern.lastDayOfMonth ||
    pattern.lastWeekday ||
    pattern.nearestWeekdays.some((v) => v !== 0) ||
    pattern.dayOfWeek.some((v) => v !== 0 && v !== ANY_OCCURRENCE)
  ) {
    throw new Error(`cron "${text}": L, W and # are not supported (the Functions host's NCRONTAB has no such fields)`);
  }
  const cron = new Cron(trimmed, { ...OPTIONS, utcOffset: 0, domAndDow: true, paused: true });
  if (cron.nextRun(new Date(0)) === null) throw new Error(`cron "${text}" never fires`);
  return { text, ncrontab: ncrontabOf(pattern), cron };
}

/** The first scheduled instant strictly after `afterMs` (epoch ms, UTC). */
export function nextRun(s: CronSchedule, afterMs: number): number {
  const next = s.cron.nextRun(new Date(afterMs));
  if (next === null) throw new Error(`cron "${s.text}" never fires`);
  return next.getTime();
}

/** The last scheduled instant at or before `atMs`: the tick a run at `atMs` belongs to. */
export function previousRun(s: CronSchedule, atMs: number): number {
  // croner looks strictly before its reference (whole seconds): one second on includes atMs's own.
  const [previous] = s.cron.previousRuns(1, new Date(Math.floor(atMs / 1000) * 1000 + 1000));
  if (previous === undefined) throw new Error(`cron "${s.text}" never fired before ${new Date(atMs).toISOString()}`);
  return previous.getTime();
}

/** Six fields of value lists, as croner parsed them: what NCRONTAB reads the same way. */
function ncrontabOf(p: CronPattern): string {
  return [
    field(p.second, 0),
    field(p.minute, 0),
    field(p.hour, 0),
    field(p.day, 1),
    field(p.month, 1),
    field(p.dayOfWeek, 0),
  ].join(' ');
}

/** `*` when every value is set, else ranges and single values (`1-5,10`); `flags[i]` is value `i + base`. */
function field(flags: readonly number[], base: number): string {
  if (flags.every((v) => v !== 0)) return '*';
  const parts: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === 0) continue;
    let j = i;
    while (j + 1 < flags.length && flags[j + 1] !== 0) j++;
    parts.push(j === i ? String(i + base) : `${i + base}-${j + base}`);
    i = j;
  }
  return parts.join(',');
}
