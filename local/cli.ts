/** Small helpers the local command-line tools share: flags, one-line errors, a progress bar. */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** `--name value` and `--flag` arguments; an unknown flag is an error naming it. */
export function parseFlags(argv: readonly string[], known: Record<string, "value" | "flag">): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const kind = known[name];
    if (!kind)
      throw new UsageError(
        `unknown option --${name}; known: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(", ")}`,
      );
    if (kind === "flag") {
      out.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

export function intFlag(flags: Map<string, string | true>, name: string, fallback: number, min = 0): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}: ${String(v)}`);
  return n;
}

/** Run a CLI's main: print a failure as one `error:` line and exit non-zero. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${message.split("\n")[0]}\n`);
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
