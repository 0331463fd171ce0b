/**
 * What every command-line tool of the project shares (npm run sample, local, dashboard, cost, ga:activate,
 * bench): flags parsed by node's `util.parseArgs` from one declaration that also writes `--help`, flag values
 * checked before any work starts, a user mistake as one `error: --flag: ...` line (exit 2), any other failure
 * as one `error:` line (exit 1), and a progress bar.
 */
import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";

/** A mistake in how the tool was called: exit code 2, and the message names the flag. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown by `parseCli` for `--help`: runMain prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super("help requested");
    this.name = "HelpRequested";
  }
}

export interface FlagSpec {
  /** A boolean flag takes no value. @default "string" */
  readonly type?: "string" | "boolean";
  /** What the value looks like in the usage text, e.g. FILE, N, YYYY-MM-DD. @default "VALUE" */
  readonly value?: string;
  /** One line for `--help`; include the default and range here. */
  readonly help: string;
}

export interface CliSpec {
  /** e.g. "npm run local -- --input FILE --lake DIR [options]" */
  readonly usage: string;
  /** What the tool does, a line or two. */
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** More text after the flag list. */
  readonly epilog?: string;
}

/** The usage text `--help` prints, from the same declaration the parser uses. */
export function helpText(spec: CliSpec): string {
  const rows = [
    ...Object.entries(spec.flags).map(([name, f]) => [`--${name}${f.type === "boolean" ? "" : ` ${f.value ?? "VALUE"}`}`, f.help]),
    ["-h, --help", "print this help and exit"],
  ];
  const width = Math.max(...rows.map(([l]) => (l as string).length));
  return [
    `usage: ${spec.usage}`,
    "",
    spec.summary,
    "",
    "options:",
    ...rows.map(([l, h]) => `  ${(l as string).padEnd(width)}  ${h}`),
    ...(spec.epilog ? ["", spec.epilog] : []),
    "",
  ].join("\n");
}

/** The flag a parseArgs error message is about: `Option '--days <value>' argument missing` -> `--days`. */
function flagOf(message: string): string | undefined {
  return /'(--?[\w-]+)/.exec(message)?.[1];
}

/**
 * Parsed and typed flags; every getter checks its flag's value and throws a UsageError naming it. Call the
 * getters before doing any work, so a bad flag stops the tool before it reads or deletes anything.
 */
export class Flags {
  constructor(private readonly values: Readonly<Record<string, string | boolean | undefined>>) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined || typeof v === "boolean") return undefined;
    if (v.trim() === "") throw new UsageError(`--${name}: needs a value`);
    return v;
  }

  /** A value the tool cannot run without; `hint` says what it is. */
  required(name: string, hint: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`--${name}: required (${hint})`);
    return v;
  }

  /** A whole number in [min, max]. */
  int(name: string, range: { readonly min: number; readonly max: number }, fallback: number): number;
  int(name: string, range: { readonly min: number; readonly max: number }): number | undefined;
  int(name: string, { min, max }: { readonly min: number; readonly max: number }, fallback?: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new UsageError(`--${name}: must be a whole number from ${min} to ${max}; got ${JSON.stringify(v)}`);
    return n;
  }

  /** A number >= min (decimals allowed). */
  number(name: string, min = 0): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name}: must be a number >= ${min}; got ${JSON.stringify(v)}`);
    return n;
  }

  /** A real calendar day, YYYY-MM-DD (2025-02-30 is not one). */
  day(name: string): string | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!isCalendarDay(v)) throw new UsageError(`--${name}: not a calendar day (YYYY-MM-DD): ${JSON.stringify(v)}`);
    return v;
  }

  /** `--from` and `--to` together, both calendar days, from <= to; undefined when neither is given. */
  window(fromName = "from", toName = "to"): { from: string; to: string } | undefined {
    const from = this.day(fromName);
    const to = this.day(toName);
    if (from === undefined && to === undefined) return undefined;
    if (from === undefined || to === undefined)
      throw new UsageError(`--${from === undefined ? fromName : toName}: --${fromName} and --${toName} go together`);
    if (from > to) throw new UsageError(`--${fromName}: ${from} is after --${toName} ${to}`);
    return { from, to };
  }

  /** A file to read: it must exist and be a file. */
  inputFile(name: string, hint: string): string {
    const v = this.required(name, hint);
    if (!existsSync(v)) throw new UsageError(`--${name}: file not found: ${v}`);
    if (!statSync(v).isFile()) throw new UsageError(`--${name}: not a file: ${v}`);
    return v;
  }

  /** A file to write: anything but an existing directory (its parent folders are made). */
  outputFile(name: string, fallback: string): string;
  outputFile(name: string, fallback?: undefined, hint?: string): string;
  outputFile(name: string, fallback?: string, hint = "a file to write"): string {
    const v = fallback === undefined ? this.required(name, hint) : (this.string(name) ?? fallback);
    if (existsSync(v) && statSync(v).isDirectory()) throw new UsageError(`--${name}: is a directory, give a file path: ${v}`);
    return v;
  }

  /** A directory: when `mustExist`, an existing one; otherwise anything but an existing file. */
  directory(name: string, hint: string, mustExist = false): string {
    const v = this.required(name, hint);
    if (existsSync(v)) {
      if (!statSync(v).isDirectory()) throw new UsageError(`--${name}: not a directory: ${v}`);
    } else if (mustExist) throw new UsageError(`--${name}: directory not found: ${v}`);
    return v;
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for YYYY-MM-DD naming a day that exists in the (proleptic Gregorian) calendar. */
export function isCalendarDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/**
 * Parse argv by the spec. `--help`/`-h` throws HelpRequested (runMain prints the usage, exit 0); an unknown flag,
 * a missing value or a stray argument throws a UsageError naming the flag.
 */
export function parseCli(spec: CliSpec, argv: readonly string[]): Flags {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, f]) => [name, { type: f.type ?? "string" }])) as Record<
    string,
    { type: "string" | "boolean" }
  >;
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(helpText(spec));
  // `--workers -1` is a value, not a flag: keep it so that the range check, not the parser, answers.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (a.startsWith("--") && options[a.slice(2)]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    return new Flags(parseArgs({ args, options, strict: true, allowPositionals: false }).values);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const flag = flagOf(err.message);
    switch (err.code) {
      case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
        throw new UsageError(`${flag ?? "option"}: unknown option (see --help)`);
      case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
        throw new UsageError(
          spec.flags[flag?.replace(/^--/, "") ?? ""]?.type === "boolean" ? `${flag}: takes no value` : `${flag ?? "option"}: needs a value`,
        );
      case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
        throw new UsageError(
          `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(err.message)?.[1] ?? "")} (flags are --name value; see --help)`,
        );
      default:
        throw e;
    }
  }
}

/**
 * Run a CLI's main: `--help` prints the usage on stdout (exit 0); a UsageError is one `error:` line on stderr
 * (exit 2); any other failure one `error:` line (exit 1), with the stack trace only when DEBUG is set.
 */
export function runMain(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => {
      if (e instanceof HelpRequested) {
        process.stdout.write(e.usage);
        process.exitCode = 0;
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`error: ${message.split("\n")[0]}\n`);
      if (process.env.DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    });
}

/** A progress bar on stderr, only when stderr is a terminal (logs stay clean). */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    enabled = Boolean(process.stderr.isTTY),
  ) {
    this.enabled = enabled && total > 0;
  }

  update(done: number, detail = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const share = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(share * width);
    const secs = ((now - this.started) / 1000).toFixed(1);
    process.stderr.write(
      `\r${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${detail} ${secs}s `,
    );
  }

  done(): void {
    if (this.enabled) process.stderr.write("\n");
  }
}
