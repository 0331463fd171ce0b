/**
 * The build-time GeoIP trimmer (scripts/geoip-trim.ts): every address must get
 * the same country, region and city from the trimmed file as from its source,
 * read by the real `maxmind` reader, on small written files and on the bundled
 * DB-IP Lite files themselves.
 */
import { readFileSync } from "node:fs";
import { Reader, type Response } from "maxmind";
import { defaultGeoDatabases, type GeoResult, geoFromRecord } from "../../handlers/firehose-transform/geoip";
import { prng } from "../../local/generator";
import { trimGeoDatabase } from "../../scripts/geoip-trim";
import { DataSectionReader, encode, pointer } from "../../scripts/mmdb-encode";
import { flatCity, maxmindCityFixture, writeMmdb } from "../helpers/mmdb-writer";

const geoOf = (reader: Reader<Response>, ip: string): GeoResult => geoFromRecord(reader.get(ip) as Parameters<typeof geoFromRecord>[0]);

/** Addresses: every one of the given IPv4 /24s, plus random IPv4 and IPv6 ones (IPv6 near the given prefixes too). */
function addresses(seed: number, count: number, options: { v4?: string[]; v6Prefixes?: string[] } = {}): string[] {
  const rand = prng(seed);
  const byte = () => Math.floor(rand() * 256);
  const group = () => Math.floor(rand() * 0x10000).toString(16);
  const out: string[] = [];
  for (const net of options.v4 ?? []) for (let i = 0; i < 256; i++) out.push(`${net}.${i}`);
  for (let i = 0; i < count; i++) out.push(`${byte()}.${byte()}.${byte()}.${byte()}`);
  for (const prefix of options.v6Prefixes ?? [])
    for (let i = 0; i < count / 10; i++) out.push(`${prefix}:${group()}:${group()}::${group()}`);
  for (let i = 0; i < count; i++) out.push(`2${group().padStart(3, "0")}:${group()}:${group()}:${group()}::${group()}`);
  return out;
}

function expectSameGeo(source: Buffer, ips: readonly string[]): ReturnType<typeof trimGeoDatabase> {
  const trimmed = trimGeoDatabase(source);
  const before = new Reader<Response>(source);
  const after = new Reader<Response>(trimmed.file);
  const v4Only = before.metadata.ipVersion === 4;
  const differences = ips
    .filter((ip) => !(v4Only && ip.includes(":")))
    .filter((ip) => JSON.stringify(geoOf(before, ip)) !== JSON.stringify(geoOf(after, ip)))
    .slice(0, 5)
    .map((ip) => `${ip}: ${JSON.stringify(geoOf(before, ip))} became ${JSON.stringify(geoOf(after, ip))}`);
  expect(differences).toEqual([]);
  expect(after.metadata.ipVersion).toBe(before.metadata.ipVersion);
  expect(after.metadata.databaseType).toBe(before.metadata.databaseType);
  return trimmed;
}

describe("GeoIP trimming", () => {
  it("merges networks that differ only in fields the transform drops, and keeps every address's place", () => {
    const source = writeMmdb({
      ipVersion: 4,
      databaseType: "city ipv4",
      networks: [
        { cidr: "10.0.0.0/8", data: { ...flatCity("DE", "Berlin", "Berlin"), latitude: 1 } },
        // Same place, other coordinates: these become one network with the /8 around them.
        { cidr: "10.0.0.0/25", data: { ...flatCity("DE", "Berlin", "Berlin"), latitude: 2 } },
        { cidr: "10.0.0.128/25", data: { ...flatCity("DE", "Berlin", "Berlin"), postcode: "10115" } },
        { cidr: "10.1.0.0/16", data: flatCity("DE", "Bavaria", "Munich") },
        { cidr: "203.0.113.0/24", data: flatCity("BE", "", "") },
      ],
    });
    const trimmed = expectSameGeo(source, addresses(1, 3000, { v4: ["10.0.0", "10.0.1", "10.1.7", "203.0.113", "203.0.112"] }));
    expect(trimmed.records).toBe(3);
    expect(trimmed.nodes).toBeLessThan(trimmed.sourceNodes);
    expect(trimmed.recordSize).toBe(24);
    const after = new Reader<Response>(trimmed.file);
    expect(after.get("10.0.0.200")).toEqual({ country_code: "DE", state1: "Berlin", city: "Berlin" });
    expect(after.get("203.0.113.9")).toEqual({ country_code: "BE" });
    expect(after.get("192.0.2.1")).toBeNull();
  });

  it("turns a MaxMind City file (one IPv6 tree with IPv4 inside) into flat records with the same places", () => {
    expectSameGeo(maxmindCityFixture(), addresses(2, 2000, { v4: ["203.0.113", "198.51.100"], v6Prefixes: ["2001:db8:1", "2001:db8:2"] }));
  });

  it("a database that gives one place everywhere still has a valid tree", () => {
    const source = writeMmdb({
      ipVersion: 4,
      databaseType: "city ipv4",
      networks: [
        { cidr: "0.0.0.0/1", data: flatCity("US", "Ohio", "Columbus") },
        { cidr: "128.0.0.0/1", data: { ...flatCity("US", "Ohio", "Columbus"), latitude: 9 } },
      ],
    });
    const trimmed = expectSameGeo(source, addresses(3, 500));
    expect(trimmed.nodes).toBe(1);
  });

  it("the bundled DB-IP Lite files: the same place for 40,000 random addresses each, in fewer bytes", () => {
    for (const [i, file] of defaultGeoDatabases().entries()) {
      const source = readFileSync(file);
      const trimmed = expectSameGeo(source, addresses(10 + i, 20_000, { v6Prefixes: ["2a00:1450", "2001:67c", "2a02:8108"] }));
      // Measured: 63.1 -> 40.0 MB (IPv4) and 71.3 -> 49.9 MB (IPv6). A new DB-IP release may move these a little.
      expect(trimmed.file.length).toBeLessThan(source.length * 0.75);
    }
  }, 120_000);
});

describe("MMDB pointers", () => {
  /** The pointer decoding of the MaxMind DB spec ("Pointer - 1"), written from the spec's text. */
  function decodePointer(b: Buffer): number {
    const ctrl = b[0] as number;
    expect(ctrl >> 5).toBe(1);
    const size = (ctrl >> 3) & 3;
    const vvv = ctrl & 7;
    if (size === 0) return (vvv << 8) | (b[1] as number);
    if (size === 1) return ((vvv << 16) | b.readUIntBE(1, 2)) + 2048;
    if (size === 2) return ((vvv << 24) | b.readUIntBE(1, 3)) + 526336;
    return b.readUInt32BE(1);
  }

  it.each([0, 1, 2047, 2048, 2048 + 2 ** 19 - 1, 2048 + 2 ** 19, 526336 + 2 ** 27 - 1, 526336 + 2 ** 27, 2 ** 32 - 1])(
    "offset %d round-trips in the smallest pointer that holds it",
    (offset) => {
      const p = pointer(offset);
      expect(decodePointer(p)).toBe(offset);
      expect(p.length).toBe(offset < 2048 ? 2 : offset < 2048 + 2 ** 19 ? 3 : offset < 526336 + 2 ** 27 ? 4 : 5);
    },
  );
});

describe("the data-section reader the trimmer walks with", () => {
  it("reads back what encode wrote, and a value behind a pointer, as maxmind's own reader does", () => {
    const value = {
      city: "Zürich",
      n: 65_536,
      big: 2n ** 40n,
      x: 47.37,
      ok: true,
      list: ["a", { b: "" }],
      long: "x".repeat(300),
      empty: {},
    };
    const data = encode(value);
    // A second value: a map whose only entry is a pointer to the first.
    const second = Buffer.concat([Buffer.from([0xe1]), encode("first"), pointer(0)]);
    const section = Buffer.concat([Buffer.from("prefix"), data, second]);
    const reader = new DataSectionReader(section, "prefix".length);
    expect(reader.valueAt(0)).toEqual(value);
    expect(reader.valueAt(data.length)).toEqual({ first: value });
    // The same records through the real reader, on a written database.
    const file = writeMmdb({
      ipVersion: 4,
      databaseType: "t",
      networks: [{ cidr: "10.0.0.0/8", data: flatCity("DE", "Bavaria", "Munich") }],
    });
    expect(new Reader<Response>(file).get("10.1.2.3")).toEqual(flatCity("DE", "Bavaria", "Munich"));
  });
});
