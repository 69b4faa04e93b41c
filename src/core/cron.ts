/**
 * Cron schedules, five fields (minute hour day-of-month month day-of-week), in UTC: `*`, numbers,
 * lists (`1,15`), ranges (`1-5`) and steps (`*\/15`, `0-30/10`). Day-of-month and day-of-week
 * combine as in classic cron: when both are restricted, either may match.
 */
export interface CronSchedule {
  readonly text: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly anyDay: boolean;
  readonly anyWeekday: boolean;
}

function field(text: string, min: number, max: number, name: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron ${name}: bad step in "${part}"`);
    let lo: number, hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(Number) as [number, number];
    else [lo, hi] = [Number(range), stepText === undefined ? Number(range) : max];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < min || hi > max || lo > hi)
      throw new Error(`cron ${name}: "${part}" is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a five-field cron expression; throws an Error naming the bad field. */
export function parseCron(text: string): CronSchedule {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`cron "${text}": expected 5 fields (minute hour day month weekday), found ${parts.length}`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = parts;
  return {
    text,
    minutes: field(m, 0, 59, 'minute'),
    hours: field(h, 0, 23, 'hour'),
    days: field(dom, 1, 31, 'day-of-month'),
    months: field(mon, 1, 12, 'month'),
    weekdays: field(dow, 0, 7, 'day-of-week'),
    anyDay: dom === '*',
    anyWeekday: dow === '*',
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  if (s.anyDay && s.anyWeekday) return true;
  if (s.anyDay) return dow;
  if (s.anyWeekday) return dom;
  return dom || dow;
}

/** The first scheduled minute strictly after `afterMs` (epoch ms, UTC). */
export function nextRun(s: CronSchedule, afterMs: number): number {
  const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60 * 5; i++) {
    if (!s.months.has(d.getUTCMonth() + 1) || !dayMatches(s, d)) {
      d.setUTCHours(0, 0, 0, 0);
      d.setUTCDate(d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCMinutes(0, 0, 0);
      d.setUTCHours(d.getUTCHours() + 1);
      continue;
    }
    if (s.minutes.has(d.getUTCMinutes())) return d.getTime();
    d.setUTCMinutes(d.getUTCMinutes() + 1);
  }
  throw new Error(`cron "${s.text}" never fires`);
}

/** The last scheduled minute at or before `atMs`: the tick a run at `atMs` belongs to. */
export function previousRun(s: CronSchedule, atMs: number): number {
  // Step back a day at a time until a run is found after that point, then walk forward.
  for (let back = 1; back <= 366 * 5; back++) {
    let t = nextRun(s, atMs - back * 86_400_000);
    if (t > atMs) continue;
    for (let next = nextRun(s, t); next <= atMs; next = nextRun(s, t)) t = next;
    return t;
  }
  throw new Error(`cron "${s.text}" never fires`);
}
