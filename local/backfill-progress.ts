/**
 * The backfill's progress on stderr: files, lines, bytes, lines/s and ETA. On a terminal one line redrawn in
 * place (at most 10 times a second); otherwise (a log file, CI, a pipe) a plain line every `plainEveryMs`, so a
 * long run leaves a readable record and no carriage returns.
 */

export interface BackfillProgressState {
  /** Files finished this run (transformed, or skipped as already in the lake). */
  readonly files: number;
  /** Data and directive lines read this run, counted as they are read. */
  readonly lines: number;
  /** Bytes of the log files as stored (gzip'd) read this run. */
  readonly bytes: number;
}

export interface BackfillProgressOptions {
  /** Files this run will look at. */
  readonly totalFiles: number;
  /** Bytes of the files it will transform (skipped ones excluded): what the ETA is measured against. */
  readonly totalBytes: number;
  /** @default process.stderr.isTTY */
  readonly tty?: boolean;
  /** @default every 10 s */
  readonly plainEveryMs?: number;
  /** @default process.stderr.write */
  readonly write?: (text: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

const MB = 1024 * 1024;

/** Seconds as h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export class BackfillProgress {
  private readonly started: number;
  private last = Number.NEGATIVE_INFINITY;
  private readonly tty: boolean;
  private readonly write: (text: string) => void;
  private readonly now: () => number;
  private state: BackfillProgressState = { files: 0, lines: 0, bytes: 0 };

  constructor(private readonly options: BackfillProgressOptions) {
    this.tty = options.tty ?? Boolean(process.stderr.isTTY);
    this.write = options.write ?? ((t) => process.stderr.write(t));
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  /** The status line for a state (no line ending). */
  line(state: BackfillProgressState, nowMs = this.now()): string {
    const { totalFiles, totalBytes } = this.options;
    const secs = (nowMs - this.started) / 1000;
    const share = totalBytes > 0 ? Math.min(1, state.bytes / totalBytes) : 1;
    const rate = secs > 0 ? state.lines / secs : 0;
    const bytesRate = secs > 0 ? state.bytes / secs : 0;
    const eta = bytesRate > 0 ? clock((totalBytes - state.bytes) / bytesRate) : "-";
    const width = 20;
    const filled = Math.round(share * width);
    return (
      `backfill [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%` +
      ` ${state.files}/${totalFiles} files, ${state.lines.toLocaleString("en-US")} lines,` +
      ` ${(state.bytes / MB).toFixed(1)}/${(totalBytes / MB).toFixed(1)} MB,` +
      ` ${Math.round(rate).toLocaleString("en-US")} lines/s, ETA ${eta}`
    );
  }

  update(state: BackfillProgressState): void {
    this.state = state;
    const now = this.now();
    const every = this.tty ? 100 : (this.options.plainEveryMs ?? 10_000);
    if (now - this.last < every) return;
    this.last = now;
    this.write(this.tty ? `\r${this.line(state, now)} ` : `${this.line(state, now)}\n`);
  }

  /** The final state, always printed. */
  done(): void {
    this.write(this.tty ? `\r${this.line(this.state)}\n` : `${this.line(this.state)}\n`);
  }
}
