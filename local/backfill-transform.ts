/**
 * One log file through the log-file transform, as the backfill reads it: its bytes hashed (SHA-256, for the
 * journal) and decompressed here, so that lines are counted as they are read; the transform passes plain text
 * through. Runs in the backfill's own thread or in a worker (local/backfill-worker.ts), the same code either way.
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { decompressed, type LogFileResult, type LogFileTransformer } from "../handlers/log-file-transform/transform";
import { LOCAL_LOG_FILE_LAMBDA_ARN } from "./log-files";

export interface FileToTransform {
  readonly file: string;
  /** The name its objects are named after. */
  readonly source: string;
}

export interface TransformedFile {
  readonly result: LogFileResult;
  /** SHA-256 of the file's bytes as stored. */
  readonly sha256: string;
}

/**
 * Transform one file. `onChunk` hears of each decompressed chunk (its newlines and the stored bytes read since the
 * last call) and is awaited, so it may hold the file there. Throws when the file cannot be read to its end.
 */
export async function transformFile(
  transformer: LogFileTransformer,
  f: FileToTransform,
  onChunk: (lines: number, bytes: number) => Promise<void> | void,
): Promise<TransformedFile> {
  const hash = createHash("sha256");
  let bytes = 0;
  async function* stored(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(f.file, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      hash.update(b);
      bytes += b.length;
      yield b;
    }
  }
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of decompressed(stored())) {
      let lines = 0;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      const read = bytes;
      bytes = 0;
      await onChunk(lines, read);
      yield chunk;
    }
  }
  const result = await transformer.transform({
    body: counted(),
    source: f.source,
    // S3's LastModified, locally: when the file was written. It dates the file's errors/ partition.
    arrivalMs: Math.floor(statSync(f.file).mtimeMs),
    lambdaArn: LOCAL_LOG_FILE_LAMBDA_ARN,
  });
  return { result, sha256: hash.digest("hex") };
}
