/**
 * The backfill's journal: which log files are in the lake, so that a rerun after a crash (even SIGKILL) skips
 * them and redoes only the rest. One JSON object per line, appended and fsync'd:
 *
 * - `started`, before any of a file's objects is written, with the keys it is about to write;
 * - `done`, after every one of them is durably in place (written to a temporary name, fsync'd, renamed), with
 *   the file's counts.
 *
 * A file's objects have deterministic names (handlers/log-file-transform/transform.ts `logFileId`), so redoing a
 * file that was `started` but not `done` overwrites its own partial output instead of adding to it: exactly once.
 * A kill can tear the last line; reading drops a torn tail (it was never acknowledged) and cuts it off the file.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import * as path from "node:path";
import * as z from "zod";

/** The lake's folder for backfill state: not under a lake prefix, so no table reads it and no `aws s3 sync` of a prefix uploads it. */
export const BACKFILL_STATE_DIR = ".backfill";
const JOURNAL_FILE = "journal.jsonl";

const Counts = z.record(z.string(), z.number().int().nonnegative());

/** What one file gave: the summary adds these up over the journal, so a resumed run reports the whole backfill. */
export const FileCountsSchema = z.strictObject({
  lines: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  byEventType: Counts,
  failuresByReason: Counts,
  droppedByRule: Counts,
});
export type FileCounts = z.infer<typeof FileCountsSchema>;

const FileIdentity = {
  /** The name the file's objects are named after (its base name: CloudFront's names are unique). */
  source: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** SHA-256 of the file's bytes as stored (gzip'd). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Lake keys (relative, `/`-separated) of the file's objects. */
  keys: z.array(z.string().min(1)),
};

export const JournalEntrySchema = z.discriminatedUnion("state", [
  z.strictObject({ state: z.literal("started"), ...FileIdentity }),
  z.strictObject({ state: z.literal("done"), ...FileIdentity, counts: FileCountsSchema }),
]);
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

export function journalPath(lakeDir: string): string {
  return path.join(lakeDir, BACKFILL_STATE_DIR, JOURNAL_FILE);
}

export class Journal {
  private readonly latest = new Map<string, JournalEntry>();

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    text: string,
  ) {
    for (const [i, line] of text.split("\n").entries()) {
      if (line === "") continue;
      let entry: JournalEntry;
      try {
        entry = JournalEntrySchema.parse(JSON.parse(line));
      } catch (e) {
        throw new Error(
          `backfill journal ${file} line ${i + 1} is not a journal entry (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); remove it or pass --overwrite to start over`,
        );
      }
      this.latest.set(entry.source, entry);
    }
  }

  /** Open (or create) the lake's journal. */
  static async open(lakeDir: string): Promise<Journal> {
    const file = journalPath(lakeDir);
    mkdirSync(path.dirname(file), { recursive: true });
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const whole = text.slice(0, text.lastIndexOf("\n") + 1);
    const handle = await open(file, "a");
    try {
      const journal = new Journal(file, handle, whole);
      if (whole.length < text.length) {
        // The kill came mid-append: that entry was never acknowledged, so it never happened.
        await handle.truncate(Buffer.byteLength(whole));
        await handle.sync();
      }
      return journal;
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Delete the lake's journal: the next run starts over. */
  static remove(lakeDir: string): void {
    rmSync(path.join(lakeDir, BACKFILL_STATE_DIR), { recursive: true, force: true });
  }

  /** The last entry for a source, if any. */
  last(source: string): JournalEntry | undefined {
    return this.latest.get(source);
  }

  /** Every source whose last entry is `done`. */
  done(): Extract<JournalEntry, { state: "done" }>[] {
    return [...this.latest.values()].filter((e): e is Extract<JournalEntry, { state: "done" }> => e.state === "done");
  }

  /** Append an entry; resolves once it is on disk. One append at a time: await each before the next. */
  async append(entry: JournalEntry): Promise<void> {
    await this.handle.appendFile(`${JSON.stringify(entry)}\n`);
    await this.handle.sync();
    this.latest.set(entry.source, entry);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
