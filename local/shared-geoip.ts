/**
 * One copy of the run's GeoIP databases for all its worker threads: read once into shared memory here, and each
 * worker hands it to its transform (provideGeoDatabases) instead of reading its own (134 MB each with the bundled
 * DB-IP files).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { geoDatabaseFiles } from "../handlers/firehose-transform/geoip";
import { parseConfig } from "../handlers/firehose-transform/processor";
import type { TransformConfigInput } from "../schemas/transform-config";

/** MMDB files by name, their bytes in shared memory (a worker's data can carry them without a copy). */
export type SharedGeoDatabases = Readonly<Record<string, Uint8Array>>;

/** The files a transform with these options opens (the processor's and the log-file transformer's rule). */
export function geoFilesOf(options: { readonly config?: TransformConfigInput; readonly geoDatabase?: readonly string[] | false }) {
  return geoDatabaseFiles(options.geoDatabase, parseConfig(options.config).geoip.databases);
}

/** Read `files` into shared memory. Throws, naming the file, when one cannot be read. */
export function readSharedGeoDatabases(files: readonly string[]): SharedGeoDatabases {
  const shared: Record<string, Uint8Array> = {};
  for (const file of files) {
    let fd: number | undefined;
    try {
      fd = openSync(file, "r");
      const bytes = new Uint8Array(new SharedArrayBuffer(fstatSync(fd).size));
      for (let at = 0; at < bytes.length; ) {
        const n = readSync(fd, bytes, at, bytes.length - at, at);
        if (n === 0) throw new Error(`file ended at byte ${at} of ${bytes.length}`);
        at += n;
      }
      shared[file] = bytes;
    } catch (e) {
      throw new Error(`GeoIP database ${file} cannot be opened: ${(e as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return shared;
}
