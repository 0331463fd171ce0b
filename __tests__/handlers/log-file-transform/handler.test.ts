/**
 * The log-file transform over S3: an S3 ObjectCreated event names a standard
 * log file; the handler reads it, writes one Parquet object per partition and
 * one error object into the lake bucket, and a redelivered event overwrites
 * the same objects. S3 is a local S3-API stand-in server
 * (__tests__/helpers/s3-server.ts) spoken to by the real @aws-sdk/client-s3.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { TRANSFORM_ENV } from "../../../handlers/firehose-transform/env";
import { truncateIp } from "../../../handlers/firehose-transform/privacy";
import { LOG_FILE_TRANSFORM_ENV } from "../../../handlers/log-file-transform/env";
import type * as Entry from "../../../handlers/log-file-transform/index";
import { eventObjectKey, s3Store } from "../../../handlers/log-file-transform/store";
import { createLogFileTransformer, type LogFileTransformer, logFileId } from "../../../handlers/log-file-transform/transform";
import { STANDARD_LOG_LEGACY_COLUMNS } from "../../../schemas/cloudfront";
import { duckQuery } from "../../helpers/duckdb";
import { type S3StandIn, startS3StandIn } from "../../helpers/s3-server";

const FIXTURE = path.resolve(__dirname, "../../fixtures/standard-logs/legacy.log.gz");
const LOGS = "site-logs";
const LAKE = "site-lake";
/** A key as CloudFront names log files, with a space to exercise S3's event key encoding. */
const KEY = "cloudfront/E2EXAMPLE.2025-06-02-09.a1b2 c3d4.gz";
const ARN = "arn:aws:lambda:eu-west-1:123456789012:function:log-file-transform";

/** The S3 event notification S3 sends for an upload: the key URL-encoded, spaces as `+`. */
function s3Event(bucket: string, key: string) {
  const encoded = encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
  return { Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: bucket }, object: { key: encoded } } }] };
}

let s3: S3StandIn;
let transformer: LogFileTransformer;
let entry: typeof Entry;

beforeAll(async () => {
  s3 = await startS3StandIn();
  s3.put(LOGS, KEY, readFileSync(FIXTURE), new Date("2025-06-02T10:05:00Z"));
  transformer = await createLogFileTransformer({
    visitorIdKey: "test-key-for-log-files-only",
    geoDatabase: false,
    now: () => new Date("2025-06-03T00:00:00Z"),
  });
  // Powertools writes logs and EMF metrics to stdout: keep the test output clean.
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  jest.isolateModules(() => {
    entry = require("../../../handlers/log-file-transform/index") as typeof Entry;
  });
});
afterAll(async () => {
  jest.restoreAllMocks();
  await s3.close();
});

const lakeObjects = () => new Map([...(s3.buckets.get(LAKE) ?? new Map()).entries()].map(([k, o]) => [k, o.body] as const));

/** The lake bucket's objects on disk, for DuckDB. */
function materialise(objects: Map<string, Buffer>): string {
  const dir = path.join(tmpdir(), `lake-${Math.random().toString(36).slice(2)}`);
  for (const [key, body] of objects) {
    mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
    writeFileSync(path.join(dir, key), body);
  }
  return dir;
}

describe("log-file transform handler, with a local S3-API stand-in server", () => {
  let first: Map<string, Buffer>;

  beforeAll(async () => {
    await entry.handleEvent(s3Event(LOGS, KEY), s3Store(s3.client), LAKE, ARN, async () => transformer);
    first = lakeObjects();
  });

  it("decodes the event's key as S3 encodes it", () => {
    expect(eventObjectKey("cloudfront/E2EXAMPLE.2025-06-02-09.a1b2+c3d4.gz")).toBe(KEY);
    expect(s3.requests).toContain(`GET ${LOGS}/${KEY}`);
  });

  it("writes one Parquet object per partition and one error object, named after the log file", () => {
    const id = logFileId(`${LOGS}/${KEY}`);
    expect([...first.keys()].sort()).toEqual(
      [
        `errors/processing-failed/year=2025/month=06/day=02/${id}.json`,
        `events/event_type=document_download/year=2025/month=06/day=02/${id}.parquet`,
        `events/event_type=page_view/year=2025/month=06/day=02/${id}.parquet`,
      ].sort(),
    );
  });

  it("keeps each bad line's bytes but the client IP in the error object, in Firehose's error format", () => {
    const [, body] = [...first.entries()].find(([k]) => k.startsWith("errors/")) as [string, Buffer];
    const records = body
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fileLines = gunzipSync(readFileSync(FIXTURE)).toString("utf8").split("\n");
    // Byte for byte but the client IP fields (errors/ privacy, docs/errors.md): c-ip is the legacy format's 5th column.
    const redacted = [fileLines[4], fileLines[6]].map((l) => {
      const f = (l as string).split("\t");
      if (f.length === STANDARD_LOG_LEGACY_COLUMNS.length) f[4] = truncateIp(f[4] as string) ?? "-";
      return f.join("\t");
    });
    expect(records.map((r) => Buffer.from(r.rawData as string, "base64").toString("utf8"))).toEqual(redacted);
    expect(records[0]).toMatchObject({
      attemptsMade: 1,
      arrivalTimestamp: Date.parse("2025-06-02T10:05:00Z"),
      errorCode: "Lambda.ProcessingFailedStatus",
      lambdaArn: ARN,
    });
  });

  it("gives the same objects, byte for byte, when S3 delivers the event again: no row twice", async () => {
    await entry.handleEvent(s3Event(LOGS, KEY), s3Store(s3.client), LAKE, ARN, async () => transformer);
    const second = lakeObjects();
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [k, body] of second) expect(body.equals(first.get(k) as Buffer)).toBe(true);
    const dir = materialise(second);
    const [counts] = await duckQuery(
      `SELECT count(*)::INT AS n, count(DISTINCT request_id)::INT AS ids FROM read_parquet('${dir}/events/**/*.parquet')`,
    );
    // Three good lines: a page view, a document download and a HEAD of it (a bot, still a row).
    expect(counts).toEqual({ n: 3, ids: 3 });
  });

  it("throws when the log file cannot be read, so that Lambda retries and then uses the failure destination", async () => {
    await expect(
      entry.handleEvent(s3Event(LOGS, "cloudfront/missing.gz"), s3Store(s3.client), LAKE, ARN, async () => transformer),
    ).rejects.toThrow();
  });

  it("throws naming LAKE_BUCKET when the function has no lake bucket", async () => {
    delete process.env[LOG_FILE_TRANSFORM_ENV.lakeBucket];
    await expect(entry.handler(s3Event(LOGS, KEY))).rejects.toThrow(/LAKE_BUCKET/);
  });

  it("reads the Firehose transform's environment names, plus LAKE_BUCKET", () => {
    expect(LOG_FILE_TRANSFORM_ENV).toEqual({ ...TRANSFORM_ENV, lakeBucket: "LAKE_BUCKET" });
  });
});
