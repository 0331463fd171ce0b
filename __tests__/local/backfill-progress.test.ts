/**
 * The backfill's progress line: redrawn in place on a terminal at most 10 times a second, plain lines at a
 * slower pace elsewhere, and an ETA from the bytes still to read at the rate so far.
 */
import { BackfillProgress, clock } from "../../local/backfill-progress";

function progress(tty: boolean) {
  const written: string[] = [];
  let now = 1_000_000;
  const p = new BackfillProgress({
    totalFiles: 10,
    totalBytes: 10 * 1024 * 1024,
    tty,
    plainEveryMs: 5_000,
    write: (t) => written.push(t),
    now: () => now,
  });
  return { p, written, advance: (ms: number) => (now += ms) };
}

describe("backfill progress", () => {
  it("states files, lines, bytes, lines/s and the ETA from the bytes left", () => {
    const { p, advance } = progress(false);
    advance(10_000);
    // 4 of 10 MB in 10 s: 6 MB left at 0.4 MB/s is 15 s.
    expect(p.line({ files: 3, lines: 250_000, bytes: 4 * 1024 * 1024 })).toBe(
      "backfill [########............]  40% 3/10 files, 250,000 lines, 4.0/10.0 MB, 25,000 lines/s, ETA 0:00:15",
    );
  });

  it("redraws one line in place on a terminal, at most every 100 ms, and ends it with a newline", () => {
    const { p, written, advance } = progress(true);
    p.update({ files: 0, lines: 0, bytes: 0 });
    advance(50);
    p.update({ files: 0, lines: 10, bytes: 1 });
    advance(60);
    p.update({ files: 1, lines: 20, bytes: 2 });
    p.done();
    expect(written).toHaveLength(3);
    expect(written.slice(0, 2).every((w) => w.startsWith("\r") && !w.includes("\n"))).toBe(true);
    expect(written[2]).toMatch(/^\rbackfill .* 1\/10 files, 20 lines, .*\n$/);
  });

  it("writes plain lines, no carriage return, at the slower pace when stderr is not a terminal", () => {
    const { p, written, advance } = progress(false);
    for (let i = 0; i < 20; i++) {
      p.update({ files: i, lines: i * 100, bytes: i });
      advance(1_000);
    }
    p.done();
    // At 0 s, 5 s, 10 s and 15 s, then the final line.
    expect(written).toHaveLength(5);
    expect(written.every((w) => !w.includes("\r") && w.endsWith("\n"))).toBe(true);
  });

  it("formats durations as h:mm:ss", () => {
    expect([0, 59.4, 61, 3600 * 26 + 62].map(clock)).toEqual(["0:00:00", "0:00:59", "0:01:01", "26:01:02"]);
  });
});
