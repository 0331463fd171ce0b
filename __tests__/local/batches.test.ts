/**
 * How the local run cuts its input into Firehose batches (the main thread's only work with workers): every byte in
 * exactly one batch, whole lines only, batches as large as Firehose's buffer makes them, whatever the read chunks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { byteLines } from "../../handlers/shared/byte-lines";
import { fileBatches } from "../../local/pipeline";
import { lastArrivalIn } from "../../local/shard";

const dir = mkdtempSync(path.join(tmpdir(), "local-batches-"));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("fileBatches", () => {
  it("partitions the file into whole-line batches, each closed by the line that reaches batchBytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 50 }),
        async (lines, finalNewline, batchBytes, chunkBytes) => {
          const text = lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : "");
          const file = path.join(dir, "in.txt");
          writeFileSync(file, text);
          const bytes = readFileSync(file);
          let read = 0;
          const batches = await collect(fileBatches(file, batchBytes, (n) => (read += n), chunkBytes));
          expect(read).toBe(bytes.length);
          expect(Buffer.concat(batches.map((b) => b.bytes))).toEqual(bytes);
          // The same lines as the splitter the log-file transform uses, in the same order.
          const expected = await collect(
            byteLines(
              (async function* () {
                yield bytes;
              })(),
            ),
          );
          expect(batches.reduce((n, b) => n + b.lines, 0)).toBe(expected.length);
          for (const [i, b] of batches.entries()) {
            const own = await collect(
              byteLines(
                (async function* () {
                  yield b.bytes;
                })(),
              ),
            );
            expect(own).toHaveLength(b.lines);
            const size = (ls: Buffer[]) => ls.reduce((n, l) => n + l.length, 0);
            if (i < batches.length - 1) {
              expect(b.bytes[b.bytes.length - 1]).toBe(10);
              expect(size(own)).toBeGreaterThanOrEqual(batchBytes);
              expect(size(own.slice(0, -1))).toBeLessThan(batchBytes);
            }
            expect(b.bytes.byteOffset === 0 && b.bytes.byteLength === b.bytes.buffer.byteLength).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("lastArrivalIn", () => {
  const enc = (s: string) => new Uint8Array(Buffer.from(s));
  it("is the last line's own timestamp, skipping lines that have none", () => {
    expect(lastArrivalIn(enc("1717200000.5\ta\n1717200001.25\tb\n"))).toBe(1717200001250);
    expect(lastArrivalIn(enc("1717200000.5\ta\ngarbage\n\nno-tab"))).toBe(1717200000500);
  });
  it("is undefined when no line has one", () => {
    expect(lastArrivalIn(enc(""))).toBeUndefined();
    expect(lastArrivalIn(enc("x\ty\n-5\tz\n"))).toBeUndefined();
  });
});
