/**
 * Imported first by the Lambda entry (index.ts), so that it runs before the rest of the bundle is evaluated:
 * starts reading the GeoIP files on the thread pool while the main thread loads the code (~100 ms of a cold
 * start that the reads, ~200 ms each, would otherwise follow). Picks the same files the processor will open;
 * the configuration is only peeked at here, and validated (naming a bad key) by the processor.
 */
import { TRANSFORM_ENV } from "./env";
import { geoDatabaseFiles, prefetchGeoDatabases } from "./geoip";
import { geoDatabaseFromEnv } from "./visitor-key";

function configuredDatabases(json: string | undefined): string[] | undefined {
  try {
    const databases = json ? JSON.parse(json)?.geoip?.databases : undefined;
    return Array.isArray(databases) && databases.every((d) => typeof d === "string") ? databases : undefined;
  } catch {
    return undefined; // the processor reports the bad JSON
  }
}

try {
  prefetchGeoDatabases(
    geoDatabaseFiles(geoDatabaseFromEnv(process.env[TRANSFORM_ENV.geoDatabase]), configuredDatabases(process.env[TRANSFORM_ENV.config])),
  );
} catch {
  // No files found: the processor fails at start with the message that names them.
}
