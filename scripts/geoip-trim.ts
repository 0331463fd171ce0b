/**
 * Build-time trimming of the bundled DB-IP Lite city databases to what the
 * transform reads: country, region and city.
 *
 * Why: the Lambda reads each database whole at a cold start, and on a
 * Firecracker VM (Lambda's kind) most of that time is the kernel faulting in
 * fresh pages, so bytes are milliseconds. The DB-IP files also carry latitude,
 * longitude, postcode and time zone, which split the address space into many
 * more networks than three fields need. Dropping them lets sibling networks
 * with the same country, region and city merge, the data section shrink, and
 * the search tree use 24-bit records where it fits.
 *
 * Every address resolves to the same country, region and city as in the source
 * (checked by __tests__/scripts/geoip-trim.test.ts, on the real files too).
 * DB-IP Lite is CC BY 4.0, which allows this adaptation with attribution
 * (docs/transform.md, "GeoIP data").
 */
import { Reader, type Response } from "maxmind";
import { geoFromRecord } from "../handlers/firehose-transform/geoip";
import { DATA_SECTION_SEPARATOR, DataSection, DataSectionReader, encode, METADATA_MARKER, readRecord, writeNode } from "./mmdb-encode";

/** Bump when the output of {@link trimGeoDatabase} changes, so cached trimmed files are rebuilt. */
export const TRIM_VERSION = 2;

export interface TrimResult {
  readonly file: Buffer;
  readonly sourceNodes: number;
  readonly nodes: number;
  readonly recordSize: 24 | 28 | 32;
  readonly records: number;
}

/**
 * Trim an MMDB in ip-location-db's flat layout or MaxMind's City layout to flat
 * `{ country_code, state1, city }` records (fields absent when empty). The tree
 * is walked as a tree: a subtree several records point to (MaxMind's IPv4
 * aliases in IPv6 files) is written once per pointer, which costs bytes, not
 * correctness. The bundled DB-IP files have no such aliases.
 */
export function trimGeoDatabase(source: Buffer): TrimResult {
  const reader = new Reader<Response>(source);
  const { nodeCount, recordSize, nodeByteSize, ipVersion, databaseType, languages, description, buildEpoch } = reader.metadata;
  const bitLength = ipVersion === 4 ? 32 : 128;

  // Distinct trimmed records; index 0 is "no data". Each source data pointer is decoded once.
  const recordIndex = new Map<string, number>([["", 0]]);
  const records: Record<string, string>[] = [{}];
  const dataStart = nodeCount * nodeByteSize + DATA_SECTION_SEPARATOR.length;
  const sourceData = new DataSectionReader(source, dataStart);
  // Record index by data offset, -1 until decoded: an array, not a Map, since leaves number in the millions.
  const byOffset = new Int32Array(Math.max(0, source.length - dataStart)).fill(-1);

  // New nodes, numbered in post-order as they are made: a leaf is a record index >= 0, a node is -(id + 1).
  let left = new Int32Array(1 << 20);
  let right = new Int32Array(1 << 20);
  let count = 0;

  const leafOf = (pointer: number): number => {
    const offset = pointer - nodeCount - DATA_SECTION_SEPARATOR.length;
    const known = byOffset[offset] as number;
    if (known >= 0) return known;
    // The record the pointer leads to, read as the transform reads it (geoFromRecord, either layout).
    const geo = geoFromRecord(sourceData.valueAt(offset) as Parameters<typeof geoFromRecord>[0]);
    const key =
      geo.country === null && geo.region === null && geo.city === null
        ? ""
        : `${geo.country ?? ""}\u0000${geo.region ?? ""}\u0000${geo.city ?? ""}`;
    let index = recordIndex.get(key);
    if (index === undefined) {
      const record: Record<string, string> = {};
      if (geo.country !== null) record.country_code = geo.country;
      if (geo.region !== null) record.state1 = geo.region;
      if (geo.city !== null) record.city = geo.city;
      index = records.push(record) - 1;
      recordIndex.set(key, index);
    }
    byOffset[offset] = index;
    return index;
  };

  const child = (value: number, depth: number): number => {
    if (value < nodeCount) {
      if (depth + 1 >= bitLength) throw new Error(`search tree deeper than ${bitLength} bits`);
      return walk(value, depth + 1);
    }
    return value === nodeCount ? 0 : leafOf(value);
  };

  const walk = (node: number, depth: number): number => {
    const offset = node * nodeByteSize;
    const l = child(readRecord(source, offset, recordSize, 0), depth);
    const r = child(readRecord(source, offset, recordSize, 1), depth);
    // Two leaves with the same record are one network: the node collapses into the leaf.
    if (l >= 0 && l === r) return l;
    if (count === left.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      left = grow(left);
      right = grow(right);
    }
    left[count] = l;
    right[count] = r;
    return -(count++ + 1);
  };

  const root = walk(0, 0);
  if (root >= 0) {
    // The whole space is one network; a tree still needs a node.
    left[count] = root;
    right[count] = root;
    count++;
  }

  // Data section: each record once, repeated keys and values as pointers; offsets relative to its start.
  const data = new DataSection();
  const offsets = records.map((r) => data.addMap(r));
  const dataSize = data.length;
  // The smallest record size that can point past every node into the data section.
  const largest = count + DATA_SECTION_SEPARATOR.length + dataSize;
  const size: 24 | 28 | 32 = largest < 2 ** 24 ? 24 : largest < 2 ** 28 ? 28 : 32;
  const nodeBytes = (size * 2) / 8;
  const tree = Buffer.alloc(count * nodeBytes);
  // Post-order puts the root last; MMDB wants it at 0, so node id i is written as count - 1 - i.
  const recordValue = (v: number): number =>
    v < 0 ? count - 1 - (-v - 1) : v === 0 ? count : count + DATA_SECTION_SEPARATOR.length + (offsets[v] as number);
  for (let id = 0; id < count; id++) {
    writeNode(tree, (count - 1 - id) * nodeBytes, size, recordValue(left[id] as number), recordValue(right[id] as number));
  }
  // mmdb-lib types `description` as a string; the format (and the files) have a map by language.
  const about = description as unknown as string | Record<string, string> | undefined;
  const sourceDescription = (typeof about === "string" ? about : about?.en) ?? databaseType;
  const metadata = encode({
    node_count: count,
    record_size: size,
    ip_version: ipVersion,
    database_type: databaseType,
    languages: [...languages],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(Math.floor(buildEpoch.getTime() / 1000)),
    description: { en: `${sourceDescription} (trimmed to country, region and city)` },
  });
  return {
    file: Buffer.concat([tree, DATA_SECTION_SEPARATOR, data.toBuffer(), METADATA_MARKER, metadata]),
    sourceNodes: nodeCount,
    nodes: count,
    recordSize: size,
    records: records.length - 1,
  };
}
