/**
 * Splitting a byte stream into lines without decoding it: a failed line is kept with its original bytes, whatever
 * their encoding. The local run and the log-file transform read their input through this one splitter.
 */

/** Lines as raw bytes, split at `\n` (a trailing `\r` is kept); a last line without `\n` is yielded too. */
export async function* byteLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = rest.length ? Buffer.concat([rest, c]) : c;
    let start = 0;
    for (let i = buf.indexOf(10, start); i >= 0; i = buf.indexOf(10, start)) {
      yield buf.subarray(start, i);
      start = i + 1;
    }
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length > 0) yield rest;
}
