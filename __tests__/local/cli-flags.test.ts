/**
 * Every command-line tool as a newcomer meets it: `--help` works, each flag is
 * checked before any work starts, a mistake is one line on stderr that names
 * the flag (exit 2, no stack trace), and a run that produced nothing useful
 * exits non-zero. The tools run as subprocesses: exit code and stderr are the
 * behaviour. The shared parser is also tested in-process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type CliSpec, HelpRequested, isCalendarDay, parseCli, UsageError } from "../../local/cli";
import { generateTraffic } from "../../local/generator";
import { formatFailures } from "../../local/run";

const ROOT = path.resolve(__dirname, "../..");
const tsx = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env });

/** Every CLI the package.json scripts run, by script name. */
const CLIS = {
  sample: "local/sample.ts",
  local: "local/run.ts",
  dashboard: "local/dashboard.ts",
  cost: "cost/cli.ts",
  "ga:activate": "scripts/ga-activate.ts",
  bench: "bench/index.ts",
  backfill: "local/backfill.ts",
} as const;

/** A usage error as the user sees it: exit 2, exactly one line on stderr, naming the flag, no stack trace. */
function expectUsageError(r: ReturnType<typeof tsx>, flag: string, message?: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error: --${flag}: `));
  if (message) expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-flags-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("every CLI", () => {
  it.each(Object.entries(CLIS))("npm run %s -- --help: usage on stdout, exit 0", (name, script) => {
    const r = tsx(script, ["--help"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    expect(r.stdout).toMatch(/-h, --help/);
  });

  it.each(Object.entries(CLIS))("npm run %s -- --bogus: one line naming the flag, exit 2", (_name, script) => {
    expectUsageError(tsx(script, ["--bogus", "1"]), "bogus", /unknown option/);
  });
});

describe("npm run sample", () => {
  it("rejects a day that is not in the calendar (2025-02-30)", () => {
    expectUsageError(tsx(CLIS.sample, ["--start", "2025-02-30", "--out", path.join(dir, "feb.tsv")]), "start", /not a calendar day/);
    expect(existsSync(path.join(dir, "feb.tsv"))).toBe(false);
  });

  it("--out naming a directory: one line, exit 2, no EISDIR trace", () => {
    const r = tsx(CLIS.sample, ["--out", dir]);
    expectUsageError(r, "out", /is a directory/);
    expect(r.stderr).not.toMatch(/EISDIR/);
  });
});

describe("npm run local", () => {
  const smallInput = () => {
    const input = path.join(dir, "small.tsv");
    if (!existsSync(input)) {
      const lines: string[] = [];
      generateTraffic({ days: 1, seed: 5, sessionsPerDay: 10 }, (l) => lines.push(l));
      writeFileSync(input, `${lines.join("\n")}\n`);
    }
    return input;
  };

  it("a bad --from stops before the transform runs and before --overwrite deletes the old lake", () => {
    const lake = path.join(dir, "kept-lake");
    const old = path.join(lake, "events", "event_type=page_view", "old.parquet");
    mkdirSync(path.dirname(old), { recursive: true });
    writeFileSync(old, "the old lake");
    const r = tsx(CLIS.local, ["--input", smallInput(), "--lake", lake, "--overwrite", "--from", "2025-13-45", "--to", "2025-06-01"]);
    expectUsageError(r, "from", /not a calendar day.*2025-13-45/);
    expect(r.stdout).toBe("");
    expect(existsSync(old)).toBe(true);
    expect(readdirSync(lake)).toEqual(["events"]);
  });

  it("--from after --to and --from without --to are usage errors too", () => {
    expectUsageError(
      tsx(CLIS.local, ["--input", smallInput(), "--lake", path.join(dir, "l"), "--from", "2025-06-02", "--to", "2025-06-01"]),
      "from",
    );
    expectUsageError(
      tsx(CLIS.local, ["--input", smallInput(), "--lake", path.join(dir, "l"), "--from", "2025-06-02"]),
      "to",
      /go together/,
    );
  });

  it("--workers -1 and --workers 99 get the same message and the same exit code", () => {
    const out = ["-1", "99"].map((w) => tsx(CLIS.local, ["--input", smallInput(), "--lake", path.join(dir, "l"), "--workers", w]));
    for (const [i, r] of out.entries())
      expectUsageError(r, "workers", new RegExp(`must be a whole number from 0 to 16; got "${["-1", "99"][i]}"$`));
  });

  it("--input naming a directory, or a lake that is a file: usage errors naming the flag", () => {
    expectUsageError(tsx(CLIS.local, ["--input", dir, "--lake", path.join(dir, "l")]), "input", /not a file/);
    expectUsageError(tsx(CLIS.local, ["--input", smallInput(), "--lake", smallInput()]), "lake", /not a directory/);
  });

  it("prints how many lines failed, by reason, and the counts add up", () => {
    const r = tsx(CLIS.local, ["--input", smallInput(), "--lake", path.join(dir, "reasons"), "--no-queries"]);
    expect(r.status).toBe(0);
    const m = /(\d+) failed \(([^)]*)\)/.exec(r.stdout);
    expect(m).not.toBeNull();
    const [, failed, reasons] = m as unknown as [string, string, string];
    const counts = reasons.split(", ").map((p) => /^([a-z0-9-]+) (\d+)$/.exec(p));
    expect(counts.every((c) => c !== null)).toBe(true);
    expect(counts.reduce((s, c) => s + Number(c?.[2]), 0)).toBe(Number(failed));
    expect(Number(failed)).toBeGreaterThan(0); // the generator writes malformed lines on purpose
  });

  it("a random binary file: exit 1 and one line saying no line parsed, and why", () => {
    const input = path.join(dir, "random.bin");
    // Deterministic bytes, newline-free stretches included: not a log by any reading.
    const bytes = Buffer.alloc(4096);
    for (let i = 0, x = 12345; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    writeFileSync(input, bytes);
    const r = tsx(CLIS.local, ["--input", input, "--lake", path.join(dir, "binary-lake")]);
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: no line of .*random\.bin is a CloudFront real-time log record \([a-z0-9-]+ \d+/);
    expect(r.stdout).not.toMatch(/dashboard queries/);
  });

  it("an empty input file: exit 1, nothing to do", () => {
    const input = path.join(dir, "empty.tsv");
    writeFileSync(input, "");
    const r = tsx(CLIS.local, ["--input", input, "--lake", path.join(dir, "empty-lake")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${input} holds no lines`);
  });
});

describe("npm run dashboard", () => {
  it("--out naming a directory: one line, exit 2, no EISDIR trace", () => {
    const lake = path.join(dir, "dash-lake");
    mkdirSync(lake, { recursive: true });
    const r = tsx(CLIS.dashboard, ["--lake", lake, "--out", dir]);
    expectUsageError(r, "out", /is a directory/);
    expect(r.stderr).not.toMatch(/EISDIR/);
  });

  it("a --lake that does not exist and a --to that is not a day are usage errors", () => {
    expectUsageError(tsx(CLIS.dashboard, ["--lake", path.join(dir, "none"), "--out", path.join(dir, "r.html")]), "lake", /not found/);
    expectUsageError(
      tsx(CLIS.dashboard, ["--lake", dir, "--out", path.join(dir, "r.html"), "--from", "2025-06-01", "--to", "2025-06-31"]),
      "to",
      /not a calendar day/,
    );
  });
});

describe("npm run cost, ga:activate, bench", () => {
  it("cost: a bad number names its flag; a missing --events-per-day says it is required", () => {
    expectUsageError(tsx(CLIS.cost, ["--events-per-day", "lots"]), "events-per-day", /must be a number >= 0/);
    expectUsageError(tsx(CLIS.cost, []), "events-per-day", /required/);
  });

  it("ga:activate: an --env with no configuration file names the flag (before any AWS call)", () => {
    expectUsageError(
      tsx(CLIS["ga:activate"], ["--env", "no-such-env"], { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }),
      "env",
    );
  });

  it("bench: an --only that matches no benchmark is a usage error listing them, and nothing runs", () => {
    const r = tsx(CLIS.bench, ["--only", "no-such-bench"]);
    expectUsageError(r, "only", /transform\.bench\.ts/);
    expect(r.stdout).toBe("");
  });
});

describe("the shared parser (local/cli.ts)", () => {
  const spec: CliSpec = {
    usage: "npm run x -- --n N",
    summary: "a test tool",
    flags: { n: { value: "N", help: "a number" }, day: { value: "YYYY-MM-DD", help: "a day" }, quiet: { type: "boolean", help: "hush" } },
  };

  it("knows the calendar: leap days, month lengths, the format", () => {
    expect(["2024-02-29", "2025-12-31", "2025-01-01"].map(isCalendarDay)).toEqual([true, true, true]);
    expect(["2025-02-29", "2025-02-30", "2025-13-45", "2025-04-31", "2025-6-1", "20250601", ""].map(isCalendarDay)).toEqual(
      Array(7).fill(false),
    );
  });

  it("--help throws HelpRequested carrying the usage built from the same flags", () => {
    let help: unknown;
    try {
      parseCli(spec, ["--n", "3", "-h"]);
    } catch (e) {
      help = e;
    }
    expect(help).toBeInstanceOf(HelpRequested);
    expect((help as HelpRequested).usage).toMatch(/^usage: npm run x -- --n N\n/);
    const rows = (help as HelpRequested).usage.split("\n").filter((l) => l.startsWith("  -"));
    expect(rows.map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ["--n N", "a number"],
      ["--day YYYY-MM-DD", "a day"],
      ["--quiet", "hush"],
      ["-h, --help", "print this help and exit"],
    ]);
    // One column for the descriptions.
    expect(new Set(rows.map((l) => l.search(/(?<=\S {2,})\S/))).size).toBe(1);
  });

  it("names the flag in every error", () => {
    const err = (argv: string[], read: (f: ReturnType<typeof parseCli>) => unknown = () => undefined) => {
      try {
        read(parseCli(spec, argv));
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err(["--n"])).toBe("--n: needs a value");
    expect(err(["--quiet=yes"])).toBe("--quiet: takes no value");
    expect(err(["stray"])).toBe('unexpected argument "stray" (flags are --name value; see --help)');
    expect(err(["--n", "2.5"], (f) => f.int("n", { min: 0, max: 9 }))).toBe('--n: must be a whole number from 0 to 9; got "2.5"');
    expect(err(["--n", "-3"], (f) => f.int("n", { min: 0, max: 9 }))).toBe('--n: must be a whole number from 0 to 9; got "-3"');
    expect(err(["--n", ""], (f) => f.int("n", { min: 0, max: 9 }))).toBe("--n: needs a value");
    expect(err(["--day", "2025-02-29"], (f) => f.day("day"))).toBe('--day: not a calendar day (YYYY-MM-DD): "2025-02-29"');
    expect(parseCli(spec, ["--n", "7", "--quiet"]).int("n", { min: 0, max: 9 })).toBe(7);
  });

  it("formats failure counts most frequent first, ties by reason", () => {
    expect(formatFailures({ "field-count": 2, "bad-number": 5, empty: 2, "invalid-utf8": 0 })).toBe("bad-number 5, empty 2, field-count 2");
    expect(formatFailures({})).toBe("");
  });
});
