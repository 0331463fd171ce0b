/**
 * Pure counter arithmetic: which month item and day attribute a view lands in,
 * and how a page's month items add up to its total and its last 7 and 30 days.
 * All days are UTC.
 */
import type { PageCounts } from "../../schemas/usage";

/** One month of one page: the month's total and its per-day counts (day of month 1-31 -> views). */
export interface MonthCounts {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly total: number;
  readonly days: ReadonlyMap<number, number>;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM` of a UTC date. */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** The day attribute of a month item: `d01`..`d31`. */
export function dayAttribute(dayOfMonth: number): string {
  return `d${String(dayOfMonth).padStart(2, "0")}`;
}

/** The inverse of {@link dayAttribute}; undefined for any other attribute name. */
export function dayOfAttribute(name: string): number | undefined {
  const m = /^d(0[1-9]|[12]\d|3[01])$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Where a view at `now` is counted. */
export function slotOf(now: Date): { month: string; dayAttribute: string } {
  return { month: monthOf(now), dayAttribute: dayAttribute(now.getUTCDate()) };
}

/** Views on the `count` UTC days ending with today. */
function lastDays(byMonth: ReadonlyMap<string, MonthCounts>, now: Date, count: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const d = new Date(now.getTime() - i * DAY_MS);
    sum += byMonth.get(monthOf(d))?.days.get(d.getUTCDate()) ?? 0;
  }
  return sum;
}

/** A page's counts at `now` from all its month items. */
export function summarize(pageId: string, months: readonly MonthCounts[], now: Date): PageCounts {
  const byMonth = new Map(months.map((m) => [m.month, m]));
  return {
    pageId,
    total: months.reduce((sum, m) => sum + m.total, 0),
    today: lastDays(byMonth, now, 1),
    last7Days: lastDays(byMonth, now, 7),
    last30Days: lastDays(byMonth, now, 30),
  };
}
