/**
 * The pure log-file transform (handlers/log-file-transform/transform.ts) over
 * v2 and odd files: rows read back by an independent reader (DuckDB), the
 * fields v2 has that legacy lacks feeding the same signals as real-time
 * logs, and every line accounted for.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { createLogFileTransformer, type LakeObject, type LogFileTransformer } from "../../../handlers/log-file-transform/transform";
import { duckQuery } from "../../helpers/duckdb";

const FIXTURES = path.resolve(__dirname, "../../fixtures/standard-logs");
const ARRIVAL = Date.parse("2025-06-03T11:00:00Z");

let t: LogFileTransformer;
beforeAll(async () => {
  t = await createLogFileTransformer({
    visitorIdKey: "test-key-for-log-files-only",
    geoDatabase: false,
    now: () => new Date("2025-06-04"),
  });
});

const run = (body: Uint8Array, source = "logs/file.gz") => t.transform({ body, source, arrivalMs: ARRIVAL, lambdaArn: "arn" });

async function rowsOf(objects: LakeObject[]): Promise<Record<string, unknown>[]> {
  const dir = path.join(tmpdir(), `objects-${Math.random().toString(36).slice(2)}`);
  for (const o of objects) {
    mkdirSync(path.dirname(path.join(dir, o.key)), { recursive: true });
    writeFileSync(path.join(dir, o.key), o.body);
  }
  return duckQuery(
    `SELECT request_id, event_type, country, asn::INT AS asn, is_bot, bot_reason, epoch_ms(event_time)::BIGINT AS ms ` +
      `FROM read_parquet('${dir}/events/**/*.parquet', hive_partitioning = true) ORDER BY ms`,
  );
}

describe("a v2 standard log file (W3C, chosen columns)", () => {
  it("reads c-country, asn and cs-accept: an Accept column with `-` is a missing header, as on real-time logs", async () => {
    const { objects, stats } = await run(readFileSync(path.join(FIXTURES, "v2-w3c.log.gz")));
    expect(stats).toMatchObject({ lines: 3, ok: 2, failed: 1, directives: 2, failuresByReason: { "bad-number": 1 } });
    expect(stats.lacking).not.toContain("asn");
    const rows = await rowsOf(objects);
    expect(rows).toEqual([
      expect.objectContaining({ country: "DE", asn: 3320, is_bot: false, ms: BigInt(Date.parse("2025-06-03T10:00:01Z")) }),
      expect.objectContaining({ country: "DE", asn: 16509, is_bot: true, bot_reason: "no-accept-header" }),
    ]);
  });
});

describe("files as they come", () => {
  // The test lines are written with runs of spaces for tabs, to stay readable.
  const legacy = (lines: string[]) => `${lines.join("\n")}\n`.replace(/ {2,}/g, "\t");

  const good =
    "2025-06-02  09:14:09  FRA56-P1  1860  203.0.113.7  GET  d111111abcdef8.cloudfront.net  /products/widget  200  -  Mozilla/5.0%20(X11)  -  -  Hit  reqid1==  www.example.com  https  390  0.002  -  TLSv1.3  TLS_AES_128_GCM_SHA256  Hit  HTTP/2.0  -  -  48212  0.002  Hit  text/html  1450  -  -";

  it("reads a file without directives in the legacy order, gzip'd or not, with the same objects", async () => {
    const text = legacy([good]);
    const plain = await run(Buffer.from(text));
    const gz = await run(gzipSync(text));
    expect(plain.stats).toMatchObject({ lines: 1, ok: 1, directives: 0 });
    expect(gz.objects.map((o) => o.key)).toEqual(plain.objects.map((o) => o.key));
    expect(Buffer.from(gz.objects[0]?.body as Uint8Array).equals(Buffer.from(plain.objects[0]?.body as Uint8Array))).toBe(true);
  });

  it("keeps a line that is not UTF-8 with its exact bytes", async () => {
    const bad = Buffer.from([0x32, 0x30, 0xff, 0xfe, 0x09, 0x41]);
    const { objects, stats } = await run(Buffer.concat([Buffer.from(legacy([good])), bad, Buffer.from("\n")]));
    expect(stats).toMatchObject({ lines: 2, ok: 1, failed: 1, failuresByReason: { "invalid-utf8": 1 } });
    const errors = objects.find((o) => o.key.startsWith("errors/processing-failed/year=2025/month=06/day=03/"));
    const record = JSON.parse(Buffer.from(errors?.body as Uint8Array).toString("utf8")) as { rawData: string };
    expect(Buffer.from(record.rawData, "base64").equals(bad)).toBe(true);
  });

  it("writes nothing for a file of directives only, and names objects after the file", async () => {
    expect((await run(gzipSync("#Version: 1.0\n#Fields: date time\n"))).objects).toEqual([]);
    const a = await run(Buffer.from(legacy([good])), "logs/a.gz");
    const b = await run(Buffer.from(legacy([good])), "logs/b.gz");
    expect(a.objects[0]?.key).not.toBe(b.objects[0]?.key);
  });

  it("throws for a broken gzip stream: the file cannot be read, so the invocation must be retried", async () => {
    const gz = gzipSync(legacy([good, good, good]));
    await expect(run(gz.subarray(0, gz.length - 12))).rejects.toThrow();
  });
});
