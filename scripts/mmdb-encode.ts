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
    // Byte by byte: millions of nodes, and writeUIntBE's checks were a tenth of the trimming time.
    tree[offset] = left >>> 16;
    tree[offset + 1] = left >>> 8;
    tree[offset + 2] = left;
    tree[offset + 3] = right >>> 16;
    tree[offset + 4] = right >>> 8;
    tree[offset + 5] = right;
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
  private readonly strings = new Map<string, { readonly offset: number; readonly literal: Buffer }>();

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
    if (seen !== undefined) {
      // A repeat: the pointer when it is shorter than the literal (measured once, when the string was first written).
      const p = pointer(seen.offset);
      this.push(p.length < seen.literal.length ? p : seen.literal);
      return;
    }
    const literal = encode(s);
    this.strings.set(s, { offset: this.size, literal });
    this.push(literal);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
}

/**
 * Reads values of a data section (the inverse of {@link encode}, plus the types MaxMind's writers use), with each
 * pointed-to value decoded once: GeoIP records share their keys and most values through pointers.
 */
export class DataSectionReader {
  private readonly shared = new Map<number, MmdbValue>();

  /** @param start the data section's offset in `file` (the search tree's size plus 16). */
  constructor(
    private readonly file: Buffer,
    private readonly start: number,
  ) {}

  /** The value at `offset`, relative to the data section's start (what a search-tree record points to). */
  valueAt(offset: number): MmdbValue {
    return this.decode(offset)[0];
  }

  /** The value at `offset` and the offset just past it. */
  private decode(offset: number): [MmdbValue, number] {
    const f = this.file;
    let at = this.start + offset;
    const control = f[at++] as number;
    let type = control >> 5;
    if (type === 1) {
      // A pointer: its size bits choose 11, 19, 27 or 32 bits of offset; the value is read there, once.
      const ss = (control >> 3) & 3;
      const vvv = control & 7;
      let target: number;
      if (ss === 0) target = (vvv << 8) | (f[at] as number);
      else if (ss === 1) target = ((vvv << 16) | f.readUInt16BE(at)) + 2048;
      else if (ss === 2) target = ((vvv << 24) | f.readUIntBE(at, 3)) + 526336;
      else target = f.readUInt32BE(at);
      const next = at - this.start + ss + 1;
      let value = this.shared.get(target);
      if (value === undefined) {
        value = this.decode(target)[0];
        this.shared.set(target, value);
      }
      return [value, next];
    }
    if (type === 0) type = 7 + (f[at++] as number);
    let size = control & 0x1f;
    if (size === 29) size = 29 + (f[at++] as number);
    else if (size === 30) {
      size = 285 + f.readUInt16BE(at);
      at += 2;
    } else if (size === 31) {
      size = 65821 + f.readUIntBE(at, 3);
      at += 3;
    }
    // Offsets returned are relative to the data section, as pointers are.
    const here = at - this.start;
    switch (type) {
      case 2: // UTF-8 string
        return [f.toString("utf8", at, at + size), here + size];
      case 3: // double
        return [f.readDoubleBE(at), here + 8];
      case 4: // bytes: kept as a latin1 string, which no reader of ours looks at
        return [f.toString("latin1", at, at + size), here + size];
      case 5: // uint16
      case 6: // uint32
        return [size === 0 ? 0 : f.readUIntBE(at, size), here + size];
      case 8: // int32
        return [size === 0 ? 0 : f.readIntBE(at, size), here + size];
      case 9: // uint64
      case 10: {
        // uint128
        let v = 0n;
        for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(f[at + i] as number);
        return [v, here + size];
      }
      case 14: // boolean: the size is the value
        return [size !== 0, here];
      case 15: // float
        return [f.readFloatBE(at), here + 4];
      case 7: {
        const map: { [key: string]: MmdbValue } = {};
        let next = here;
        for (let i = 0; i < size; i++) {
          const [key, afterKey] = this.decode(next);
          const [value, afterValue] = this.decode(afterKey);
          map[key as string] = value;
          next = afterValue;
        }
        return [map, next];
      }
      case 11: {
        const array: MmdbValue[] = [];
        let next = here;
        for (let i = 0; i < size; i++) {
          const [value, after] = this.decode(next);
          array.push(value);
          next = after;
        }
        return [array, next];
      }
      default:
        throw new Error(`unsupported MMDB data type ${type} at data offset ${offset}`);
    }
  }
}
