import fc from "fast-check";
import { dayAttribute, dayOfAttribute, type MonthCounts, slotOf, summarize } from "../../../handlers/usage-stats/counts";

const DAY = 86_400_000;
const utcDay = (t: number) => Math.floor(t / DAY);

/** Month items as the store builds them: one ADD per view into its month's total and day attribute. */
function monthsOf(views: number[]): MonthCounts[] {
  const months = new Map<string, { total: number; days: Map<number, number> }>();
  for (const t of views) {
    const slot = slotOf(new Date(t));
    const m = months.get(slot.month) ?? { total: 0, days: new Map<number, number>() };
    const day = dayOfAttribute(slot.dayAttribute) as number;
    m.total++;
    m.days.set(day, (m.days.get(day) ?? 0) + 1);
    months.set(slot.month, m);
  }
  return [...months].map(([month, m]) => ({ month, ...m }));
}

describe("counter arithmetic", () => {
  it("names day attributes d01..d31 and reads them back", () => {
    expect([1, 9, 10, 31].map(dayAttribute)).toEqual(["d01", "d09", "d10", "d31"]);
    expect(["d01", "d31", "d00", "d32", "total", "d1"].map(dayOfAttribute)).toEqual([1, 31, undefined, undefined, undefined, undefined]);
    expect(slotOf(new Date("2024-02-29T23:59:59.999Z"))).toEqual({ month: "2024-02", dayAttribute: "d29" });
  });

  it("agrees with counting the views one by one, across months and leap days", () => {
    const now0 = Date.parse("2024-03-05T12:00:00Z");
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: now0 - 120 * DAY, max: now0 }), { maxLength: 300 }),
        fc.integer({ min: 0, max: DAY - 1 }),
        (views, offset) => {
          const now = now0 + offset;
          const inLast = (n: number) => views.filter((t) => t <= now && utcDay(now) - utcDay(t) < n).length;
          expect(summarize("p", monthsOf(views.filter((t) => t <= now)), new Date(now))).toEqual({
            pageId: "p",
            total: views.filter((t) => t <= now).length,
            today: inLast(1),
            last7Days: inLast(7),
            last30Days: inLast(30),
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
