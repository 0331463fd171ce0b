/**
 * GeoIP lookups over MMDB files, read with `maxmind`. Two record layouts are
 * understood: the flat one of the bundled DB-IP Lite files from ip-location-db
 * (`country_code`, `state1`, `city`) and MaxMind's GeoLite2/GeoIP2 City
 * (`country.iso_code`, `subdivisions[0].names.en`, `city.names.en`).
 *
 * ip-location-db ships one file per IP version; a MaxMind City file holds both.
 * Each file's metadata says which addresses it covers: an IPv4 address is
 * looked up in an IPv4 file, else in an IPv6 file (MaxMind maps IPv4 into it).
 */
import { close, closeSync, existsSync, fstatSync, openSync, read } from "node:fs";
import { isIP } from "node:net";
import * as path from "node:path";
import { Reader, type Response } from "maxmind";
import { BoundedCache } from "./cache";
import { BUNDLED_GEO_DATABASES, BUNDLED_GEO_PACKAGE } from "./env";

export interface GeoResult {
  readonly country: string | null;
  readonly region: string | null;
  readonly city: string | null;
}

export const NO_GEO: GeoResult = Object.freeze({ country: null, region: null, city: null });

/** A record of either layout; every field optional, since databases differ. */
interface GeoRecord {
  // ip-location-db (DB-IP Lite, GeoLite2 converted)
  country_code?: string;
  state1?: string;
  city?: string | { names?: Record<string, string> };
  // MaxMind GeoLite2 / GeoIP2 City
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  subdivisions?: { names?: Record<string, string> }[];
}

const nonEmpty = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The country, region and city of a record of either layout. */
export function geoFromRecord(record: GeoRecord | null): GeoResult {
  if (!record) return NO_GEO;
  if (typeof record.city === "object" || record.country !== undefined || record.subdivisions !== undefined) {
    const city = typeof record.city === "object" ? record.city : undefined;
    return {
      country: nonEmpty(record.country?.iso_code) ?? nonEmpty(record.registered_country?.iso_code),
      region: nonEmpty(record.subdivisions?.[0]?.names?.en),
      city: nonEmpty(city?.names?.en),
    };
  }
  return {
    country: nonEmpty(record.country_code),
    region: nonEmpty(record.state1),
    city: nonEmpty(record.city),
  };
}

/** `::ffff:1.2.3.4` (an IPv4 client seen through IPv6) is the IPv4 address. */
export function normalizeIp(ip: string): { ip: string; version: 0 | 4 | 6 } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? (mapped[1] as string) : ip;
  return { ip: address, version: isIP(address) as 0 | 4 | 6 };
}

export interface GeoDatabaseInfo {
  readonly file: string;
  readonly ipVersion: number;
  readonly databaseType: string;
  readonly buildEpoch: Date;
}

/** Reads started by {@link prefetchGeoDatabases} or {@link GeoIp.open}, by file name, until a GeoIp takes them. */
const reads = new Map<string, Promise<Buffer>>();

/**
 * A whole file in one `read` on libuv's thread pool. Most of a read's time is the kernel faulting in fresh pages
 * for the buffer (~200 ms per 60 MB on a Firecracker VM, this machine's kind and Lambda's), so it pays to run it
 * off the main thread, one file per thread, while the main thread does other start-up work.
 */
function readWhole(file: string): Promise<Buffer> {
  // Open and stat synchronously (microseconds): an async open would wait for the main thread to be free before
  // the read could start, and the point is to read while the main thread is busy.
  let fd: number;
  let size: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    return Promise.reject(e);
  }
  try {
    size = fstatSync(fd).size;
  } catch (e) {
    closeSync(fd);
    return Promise.reject(e);
  }
  const buffer = Buffer.allocUnsafe(size);
  return new Promise<Buffer>((resolve, reject) => {
    const readFrom = (offset: number): void => {
      if (offset === size) {
        close(fd, () => resolve(buffer));
        return;
      }
      read(fd, buffer, offset, size - offset, offset, (error, bytes) => {
        if (error || bytes === 0) close(fd, () => reject(error ?? new Error(`file ended at byte ${offset} of ${size}`)));
        else readFrom(offset + bytes);
      });
    };
    readFrom(0);
  });
}

function readDatabase(file: string): Promise<Buffer> {
  let pending = reads.get(file);
  if (pending === undefined) {
    pending = readWhole(file);
    // Whoever opens the file sees the error; a prefetch nobody opens must not crash the process.
    pending.catch(() => undefined);
    reads.set(file, pending);
  }
  return pending;
}

/**
 * Start reading MMDB files in the background, so that {@link GeoIp.open} later finds them read (or further
 * along). The Lambda entry calls this first thing, before the rest of the bundle is evaluated.
 */
export function prefetchGeoDatabases(files: readonly string[]): void {
  for (const file of files) readDatabase(file);
}

/**
 * Hand over MMDB files already in memory (a local run's worker gets the run's one shared copy): the next
 * {@link GeoIp.open} of each file takes its bytes from here instead of reading the file.
 */
export function provideGeoDatabases(buffers: Readonly<Record<string, Uint8Array>>): void {
  for (const [file, bytes] of Object.entries(buffers)) {
    reads.set(file, Promise.resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }
}

export class GeoIp {
  private readonly v4: Reader<Response> | undefined;
  private readonly v6: Reader<Response> | undefined;
  private readonly cache: BoundedCache<GeoResult>;
  readonly databases: readonly GeoDatabaseInfo[];

  /**
   * Open MMDB files, all read in parallel. Rejects (naming the file) when one cannot be read or is not an MMDB:
   * a misconfigured function should fail loudly at start.
   */
  static async open(files: readonly string[], cacheSize?: number): Promise<GeoIp> {
    const buffers = await Promise.all(
      files.map(async (file) => {
        try {
          return await readDatabase(file);
        } catch (e) {
          throw new Error(`GeoIP database ${file} cannot be opened: ${(e as Error).message}`);
        } finally {
          // The reader keeps the buffer; the map must not, or a second open would share a stale read.
          reads.delete(file);
        }
      }),
    );
    return new GeoIp(
      files.map((file, i) => ({ file, buffer: buffers[i] as Buffer })),
      cacheSize,
    );
  }

  private constructor(files: readonly { file: string; buffer: Buffer }[], cacheSize = 10_000) {
    this.cache = new BoundedCache(cacheSize);
    const infos: GeoDatabaseInfo[] = [];
    let v4: Reader<Response> | undefined;
    let v6: Reader<Response> | undefined;
    for (const { file, buffer } of files) {
      let reader: Reader<Response>;
      try {
        reader = new Reader<Response>(buffer);
      } catch (e) {
        throw new Error(`GeoIP database ${file} cannot be opened: ${(e as Error).message}`);
      }
      const { ipVersion, databaseType, buildEpoch } = reader.metadata;
      if (ipVersion === 4) v4 ??= reader;
      else v6 ??= reader;
      infos.push({ file, ipVersion, databaseType, buildEpoch });
    }
    this.v4 = v4;
    this.v6 = v6;
    this.databases = infos;
  }

  lookup(rawIp: string | null): GeoResult {
    // Real traffic repeats IPs (one visitor, many requests).
    return rawIp ? this.cache.get(rawIp, this.locate) : NO_GEO;
  }

  private readonly locate = (rawIp: string): GeoResult => {
    const { ip, version } = normalizeIp(rawIp);
    const reader = version === 4 ? (this.v4 ?? this.v6) : version === 6 ? this.v6 : undefined;
    if (!reader) return NO_GEO;
    try {
      // maxmind types only MaxMind's own layouts; GeoRecord also covers the flat ip-location-db one.
      return geoFromRecord(reader.get(ip) as GeoRecord | null);
    } catch {
      // A reserved or odd address the tree cannot walk: no location, not a failed record.
      return NO_GEO;
    }
  };
}

/**
 * The MMDB files to open: the option (from the `GEOIP_DATABASE` variable or the caller; `false` for none), else
 * the configured `geoip.databases`, else the bundled files.
 */
export function geoDatabaseFiles(
  option: readonly string[] | false | undefined,
  configured: readonly string[] | undefined,
): readonly string[] {
  if (option === false) return [];
  return option ?? configured ?? defaultGeoDatabases();
}

/**
 * The bundled DB-IP Lite city files: beside the bundle (Lambda: scripts/build-handlers.ts copies them next to
 * index.js), else from node_modules (tests, the local runner).
 */
export function defaultGeoDatabases(bundleDir: string = __dirname): string[] {
  const beside = BUNDLED_GEO_DATABASES.map((f) => path.join(bundleDir, f));
  if (beside.every((f) => existsSync(f))) return beside;
  // A computed specifier keeps esbuild from trying to resolve the package at build time.
  const manifest = `${BUNDLED_GEO_PACKAGE}/package.json`;
  let packageDir: string;
  try {
    packageDir = path.dirname(require.resolve(manifest));
  } catch {
    throw new Error(`bundled GeoIP databases not found beside ${bundleDir} nor in node_modules (${BUNDLED_GEO_PACKAGE})`);
  }
  return BUNDLED_GEO_DATABASES.map((f) => path.join(packageDir, f));
}
