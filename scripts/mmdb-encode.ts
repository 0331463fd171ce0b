/**
 * Encoding of MaxMind DB (MMDB 2.0) data-section values and metadata, shared by
 * the build-time GeoIP trimmer (scripts/geoip-trim.ts) and the test writer of
 * small databases (__tests__/helpers/mmdb-writer.ts).
 * @see https://maxmind.github.io/MaxMind-DB/
 */

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [key: string]: MmdbValue };

/** The marker that starts the metadata section at the end of a file. */
export const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from("MaxMind.com")]);

/** The 16 zero bytes between the search tree and the data section. */
export const DATA_SECTION_SEPARATOR = Buffer.alloc(16);

function header(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    extra.push((size - 285) >> 8, (size - 285) & 0xff);
  } else {
    sizeBits = 31;
    const s = size - 65821;
    extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  if (type <= 7) bytes.push((type << 5) | sizeBits);
  else bytes.push(sizeBits, type - 7);
  return Buffer.from([...bytes, ...extra]);
}

function uint(type: number, value: bigint): Buffer {
  const payload: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) payload.unshift(Number(v & 0xffn));
  return Buffer.concat([header(type, payload.length), Buffer.from(payload)]);
}

/** Encode one value of the data section (strings, unsigned ints, doubles, booleans, arrays, maps). */
export function encode(value: MmdbValue): Buffer {
  if (typeof value === "string") {
    const b = Buffer.from(value, "utf8");
    return Buffer.concat([header(2, b.length), b]);
  }
  if (typeof value === "boolean") return header(14, value ? 1 : 0);
  if (typeof value === "bigint") return uint(9, value);
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return uint(6, BigInt(value));
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return Buffer.concat([header(3, 8), b]);
  }
  if (Array.isArray(value)) return Buffer.concat([header(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([header(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

/** Write one search-tree node (two records) of a 24-, 28- or 32-bit record size at `offset`. */
export function writeNode(tree: Buffer, offset: number, recordSize: 24 | 28 | 32, left: number, right: number): void {
  if (recordSize === 24) {
    tree.writeUIntBE(left, offset, 3);
    tree.writeUIntBE(right, offset + 3, 3);
  } else if (recordSize === 32) {
    tree.writeUInt32BE(left, offset);
    tree.writeUInt32BE(right, offset + 4);
  } else {
    // 28 bits: the middle byte holds the high nibble of the left record, then the high nibble of the right.
    tree.writeUIntBE(left & 0xffffff, offset, 3);
    tree[offset + 3] = ((left >>> 24) << 4) | (right >>> 24);
    tree.writeUIntBE(right & 0xffffff, offset + 4, 3);
  }
}

/** Read one record of a search-tree node; the inverse of {@link writeNode}. */
export function readRecord(tree: Buffer, offset: number, recordSize: number, side: 0 | 1): number {
  if (recordSize === 24) return tree.readUIntBE(offset + side * 3, 3);
  if (recordSize === 32) return tree.readUInt32BE(offset + side * 4);
  if (recordSize === 28) {
    const middle = tree[offset + 3] as number;
    return side === 0 ? ((middle & 0xf0) << 20) | tree.readUIntBE(offset, 3) : ((middle & 0x0f) << 24) | tree.readUIntBE(offset + 4, 3);
  }
  throw new Error(`unsupported MMDB record size ${recordSize}`);
}

/** A pointer to `offset` in the data section (type 1, the smallest of its four sizes). */
export function pointer(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  if (offset < 2048 + 2 ** 19) {
    const v = offset - 2048;
    return Buffer.from([0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff]);
  }
  if (offset < 526336 + 2 ** 27) {
    const v = offset - 526336;
    return Buffer.from([0x30 | (v >>> 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  }
  const b = Buffer.alloc(5);
  b[0] = 0x38;
  b.writeUInt32BE(offset, 1);
  return b;
}

/**
 * A data section of maps of strings in which every string (key or value) is written once and later uses point
 * to it, when the pointer is shorter: what MaxMind's own writer does, and most of a GeoIP file's data is repeats.
 */
export class DataSection {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly strings = new Map<string, number>();

  /** Append a map of strings; returns its offset (what a search-tree record points to, less the tree's size and 16). */
  addMap(map: Readonly<Record<string, string>>): number {
    const offset = this.size;
    const entries = Object.entries(map);
    this.push(header(7, entries.length));
    for (const [key, value] of entries) {
      this.pushString(key);
      this.pushString(value);
    }
    return offset;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  get length(): number {
    return this.size;
  }

  private pushString(s: string): void {
    const seen = this.strings.get(s);
    const literal = encode(s);
    if (seen !== undefined) {
      const p = pointer(seen);
      if (p.length < literal.length) {
        this.push(p);
        return;
      }
    }
    if (seen === undefined) this.strings.set(s, this.size);
    this.push(literal);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
}
