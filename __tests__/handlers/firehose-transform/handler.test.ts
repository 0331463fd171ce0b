/**
 * The Lambda entry (index.ts): environment, visitor key, Powertools logs and
 * EMF metrics, over a real Firehose event fixture. AWS itself cannot run here,
 * so the SSM read is a stub (the test names say so).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { TRANSFORM_ENV, TRANSFORM_METRICS } from "../../../handlers/firehose-transform/env";
import type * as Entry from "../../../handlers/firehose-transform/index";
import { geoDatabaseFromEnv, loadVisitorKey, type ParameterReader } from "../../../handlers/firehose-transform/visitor-key";
import { line } from "../../helpers/cloudfront-lines";
import { loadFixture, TEST_KEY } from "./load";

const ENV_KEYS = Object.values(TRANSFORM_ENV);

/** Import index.ts afresh with the given environment; capture what it prints. */
async function loadEntry(env: Record<string, string>): Promise<{ entry: typeof Entry; output: () => Record<string, unknown>[] }> {
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  const lines: string[] = [];
  // Powertools writes INFO logs and EMF to stdout, WARN and ERROR logs to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
  }
  let entry: typeof Entry | undefined;
  // A fresh module registry, so the module-level Powertools setup reads this environment.
  jest.isolateModules(() => {
    entry = require("../../../handlers/firehose-transform/index") as typeof Entry;
  });
  return {
    entry: entry as typeof Entry,
    output: () => lines.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [])),
  };
}

afterEach(() => {
  jest.restoreAllMocks();
  for (const k of ENV_KEYS) delete process.env[k];
});

/** EMF blobs: metric name -> [dimension values, value]. */
function emf(output: Record<string, unknown>[]): { namespace: string; name: string; dims: Record<string, string>; value: number }[] {
  return output.flatMap((o) => {
    const aws = o._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
    if (!aws) return [];
    return aws.CloudWatchMetrics.flatMap((m) =>
      m.Metrics.map((metric) => ({
        namespace: m.Namespace,
        name: metric.Name,
        dims: Object.fromEntries((m.Dimensions[0] ?? []).map((d) => [d, String(o[d])])),
        value: o[metric.Name] as number,
      })),
    );
  });
}

describe("firehose-transform handler", () => {
  it("transforms a Firehose event and publishes EMF metrics by result, by event type and by failure reason", async () => {
    // Prepare
    const { entry, output } = await loadEntry({
      [TRANSFORM_ENV.visitorKey]: TEST_KEY,
      [TRANSFORM_ENV.metricsNamespace]: "webstats-test",
      [TRANSFORM_ENV.serviceName]: "firehose-transform",
      [TRANSFORM_ENV.geoDatabase]: "none",
    });
    const event = loadFixture("qr-scans");
    const malformed = loadFixture("malformed");
    event.records.push(...malformed.records.slice(0, 2));
    // Act
    const result = await entry.handler(event);
    // Assess
    expect(result.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(result.records.map((r) => r.result)).toEqual(["Ok", "Ok", "Ok", "Ok", "ProcessingFailed", "ProcessingFailed"]);
    const metrics = emf(output());
    const find = (name: string, dims: Record<string, string> = {}) =>
      metrics.find((m) => m.name === name && Object.entries(dims).every(([k, v]) => m.dims[k] === v));
    expect(find(TRANSFORM_METRICS.byResult.Ok, { service: "firehose-transform" })).toMatchObject({ namespace: "webstats-test", value: 4 });
    expect(find(TRANSFORM_METRICS.byResult.ProcessingFailed)?.value).toBe(2);
    expect(find(TRANSFORM_METRICS.byResult.Dropped)?.value).toBe(0);
    expect(find(TRANSFORM_METRICS.byEventType.metricName, { event_type: "qr_scan", service: "firehose-transform" })?.value).toBe(2);
    expect(find(TRANSFORM_METRICS.byEventType.metricName, { event_type: "document_download" })?.value).toBe(1);
    expect(find(TRANSFORM_METRICS.byFailureReason.metricName, { reason: "invalid-utf8" })?.value).toBe(1);
    const logs = output().filter((o) => typeof o.message === "string");
    expect(logs.find((l) => l.message === "batch transformed")).toMatchObject({ level: "INFO", records: 6 });
    expect(logs.filter((l) => l.message === "record failed").map((l) => l.reason)).toEqual(["invalid-utf8", "field-count"]);
  });

  it("answers any event shape without throwing: no records array gives no records, records without an id are logged", async () => {
    // Prepare
    const { entry, output } = await loadEntry({ [TRANSFORM_ENV.visitorKey]: TEST_KEY, [TRANSFORM_ENV.geoDatabase]: "none" });
    const event = loadFixture("qr-scans");
    const noId = { ...event, records: [null, { data: event.records[0]?.data }, ...event.records] } as unknown as Entry.FirehoseEventIn;
    // Act
    const empty = await entry.handler({ invocationId: "i" } as unknown as Entry.FirehoseEventIn);
    const nullEvent = await entry.handler(null as unknown as Entry.FirehoseEventIn);
    const result = await entry.handler(noId);
    // Assess
    expect(empty).toEqual({ records: [] });
    expect(nullEvent).toEqual({ records: [] });
    expect(result.records.map((r) => [r.recordId, r.result])).toEqual([
      ["", "ProcessingFailed"],
      ["", "ProcessingFailed"],
      ...event.records.map((r) => [r.recordId, "Ok"]),
    ]);
    const logs = output().filter((o) => typeof o.message === "string");
    expect(logs.filter((l) => l.message === "event has no records array")).toHaveLength(2);
    expect(logs.find((l) => l.message === "records without a recordId: answered with an empty id")).toMatchObject({
      level: "ERROR",
      count: 2,
    });
    expect(logs.filter((l) => l.message === "batch transformed").map((l) => l.recordsWithoutId)).toEqual([0, 0, 2]);
    // And in the metrics, per batch, so an alarm can watch it.
    expect(
      emf(output())
        .filter((m) => m.name === TRANSFORM_METRICS.recordsWithoutId)
        .map((m) => m.value),
    ).toEqual([0, 0, 2]);
  });

  it("for any JSON as the event (fast-check): never a throw, one output per record of a records array, none otherwise", async () => {
    const { entry } = await loadEntry({ [TRANSFORM_ENV.visitorKey]: TEST_KEY, [TRANSFORM_ENV.geoDatabase]: "none" });
    const real = loadFixture("qr-scans").records;
    const record = fc.oneof(fc.constantFrom(...real), fc.jsonValue({ maxDepth: 2 }));
    const event = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { invocationId: fc.jsonValue({ maxDepth: 1 }), records: fc.array(record, { maxLength: 8 }) },
        { requiredKeys: ["records"] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const records = (e as { records?: unknown } | null)?.records;
        const out = await entry.handler(e as unknown as Entry.FirehoseEventIn);
        expect(out.records).toHaveLength(Array.isArray(records) ? records.length : 0);
        for (const r of out.records) expect([typeof r.recordId, typeof r.data]).toEqual(["string", "string"]);
      }),
      { numRuns: 200 },
    );
  });

  describe("failed records stored by the function (S3 stand-in: a loopback server answering the real S3 client's PutObject)", () => {
    const objects = new Map<string, string>();
    let failPuts = false;
    let server: Server;
    const saved = { ...process.env };
    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          if (req.method !== "PUT" || failPuts) return void res.writeHead(failPuts ? 503 : 405).end();
          objects.set(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname), Buffer.concat(chunks).toString("utf8"));
          res.writeHead(200, { ETag: '"0"' }).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_MAX_ATTEMPTS: "1",
      });
    });
    afterAll(async () => {
      for (const k of ["AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_MAX_ATTEMPTS"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    beforeEach(() => {
      objects.clear();
      failPuts = false;
    });

    const env = { [TRANSFORM_ENV.visitorKey]: TEST_KEY, [TRANSFORM_ENV.geoDatabase]: "none", [TRANSFORM_ENV.failedRecordsBucket]: "lake" };
    const arn = { invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:webstats-dev-events-transform" };
    /** Two good records and two malformed ones whose c-ip field holds an address. */
    function mixedEvent() {
      const event = loadFixture("qr-scans");
      const good = event.records.slice(0, 2);
      const bad = [`${line({ "c-ip": "203.0.113.9" })}\textra`, line({ "c-ip": "2001:db8:7:8::1", timestamp: "x" })].map((l, i) => ({
        ...good[0],
        recordId: `bad-${i}`,
        data: Buffer.from(`${l}\n`).toString("base64"),
      }));
      return { ...event, records: [...good, ...bad] } as typeof event;
    }

    it("stores them in errors/processing-failed/ in Firehose's format, IP redacted, answers them Dropped; a retry overwrites", async () => {
      const { entry, output } = await loadEntry(env);
      const event = mixedEvent();
      const result = await entry.handler(event, arn);
      expect(result.records.map((r) => r.result)).toEqual(["Ok", "Ok", "Dropped", "Dropped"]);
      expect([...objects.keys()]).toEqual([
        expect.stringMatching(/^\/lake\/errors\/processing-failed\/year=2025\/month=06\/day=01\/transform-[0-9a-f]{32}\.json$/),
      ]);
      const lines =
        [...objects.values()][0]
          ?.trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l) as Record<string, unknown>) ?? [];
      expect(lines.map((l) => [l.errorCode, l.lambdaArn])).toEqual(
        Array(2).fill(["Lambda.ProcessingFailedStatus", arn.invokedFunctionArn]),
      );
      const raw = lines.map((l) => Buffer.from(String(l.rawData), "base64").toString("utf8"));
      expect(raw.join("")).not.toMatch(/203\.0\.113\.9|2001:db8:7:8::1/);
      expect(raw).toEqual(
        event.records
          .slice(2)
          .map((r) =>
            Buffer.from(r.data, "base64").toString("utf8").replace("203.0.113.9", "203.0.113.0").replace("2001:db8:7:8::1", "2001:db8:7::"),
          ),
      );
      const stored = emf(output()).find((m) => m.name === TRANSFORM_METRICS.failedRecordsStore.stored);
      expect(stored?.value).toBe(2);
      // Firehose retries a batch with the same records: the same object, overwritten, no second copy.
      await entry.handler(event, arn);
      expect(objects.size).toBe(1);
    });

    it("leaves them ProcessingFailed (nothing lost) when the write fails, logged and counted", async () => {
      failPuts = true;
      const { entry, output } = await loadEntry(env);
      const result = await entry.handler(mixedEvent(), arn);
      expect(result.records.map((r) => r.result)).toEqual(["Ok", "Ok", "ProcessingFailed", "ProcessingFailed"]);
      expect(objects.size).toBe(0);
      expect(output().find((o) => String(o.message).startsWith("failed records could not be stored"))).toMatchObject({
        level: "ERROR",
        count: 2,
      });
      expect(emf(output()).find((m) => m.name === TRANSFORM_METRICS.failedRecordsStore.leftToFirehose)?.value).toBe(2);
    });

    it("without the bucket variable leaves them to Firehose and writes nothing", async () => {
      const { entry } = await loadEntry({ ...env, [TRANSFORM_ENV.failedRecordsBucket]: "" });
      const result = await entry.handler(mixedEvent(), arn);
      expect(result.records.map((r) => r.result)).toEqual(["Ok", "Ok", "ProcessingFailed", "ProcessingFailed"]);
      expect(objects.size).toBe(0);
    });
  });

  it("reads TRANSFORM_CONFIG (partial JSON) from the environment", async () => {
    const { entry } = await loadEntry({
      [TRANSFORM_ENV.visitorKey]: TEST_KEY,
      [TRANSFORM_ENV.geoDatabase]: "none",
      [TRANSFORM_ENV.config]: JSON.stringify({ dropRules: [{ name: "all-qr", path: "^/qr/" }] }),
    });
    const result = await entry.handler(loadFixture("qr-scans"));
    expect(result.records.map((r) => r.result)).toEqual(["Dropped", "Ok", "Ok", "Ok"]);
  });

  it("fails the invocation (never a record) when the start-up config is bad, naming the key, and retries on the next call", async () => {
    const { entry } = await loadEntry({
      [TRANSFORM_ENV.visitorKey]: TEST_KEY,
      [TRANSFORM_ENV.geoDatabase]: "none",
      [TRANSFORM_ENV.config]: JSON.stringify({ classification: [{ name: "x", eventType: "nope" }] }),
    });
    const event = loadFixture("qr-scans");
    await expect(entry.handler(event)).rejects.toThrow(/transform\.classification\.0\.eventType/);
    process.env[TRANSFORM_ENV.config] = "{}";
    await expect(entry.handler(event)).resolves.toHaveProperty("records");
  });

  it("refuses to start without a visitor key", async () => {
    const { entry } = await loadEntry({ [TRANSFORM_ENV.geoDatabase]: "none" });
    await expect(entry.handler(loadFixture("qr-scans"))).rejects.toThrow(/no visitor-id key: set VISITOR_ID_KEY_PARAMETER/);
  });

  it("refuses TRANSFORM_CONFIG that is not JSON", async () => {
    const { entry } = await loadEntry({ [TRANSFORM_ENV.visitorKey]: TEST_KEY, [TRANSFORM_ENV.config]: "{nope" });
    await expect(entry.handler(loadFixture("qr-scans"))).rejects.toThrow(/TRANSFORM_CONFIG is not valid JSON/);
  });
});

describe("visitor key source", () => {
  const stubSsm =
    (values: Record<string, string>, calls: string[] = []): (() => ParameterReader) =>
    () => ({
      async getSecureString(name) {
        calls.push(name);
        if (!(name in values)) throw new Error("ParameterNotFound");
        return values[name];
      },
    });

  it("reads the SSM SecureString parameter when its name is set (stubbed SSM) and prefers it over the variable", async () => {
    const calls: string[] = [];
    const key = await loadVisitorKey(
      { [TRANSFORM_ENV.visitorKeyParam]: "/webstats/dev/visitor-id-key", [TRANSFORM_ENV.visitorKey]: "env-key-0123456789" },
      stubSsm({ "/webstats/dev/visitor-id-key": "ssm-key-0123456789" }, calls),
    );
    expect(key).toBe("ssm-key-0123456789");
    expect(calls).toEqual(["/webstats/dev/visitor-id-key"]);
  });

  it("names the parameter when SSM fails (stubbed SSM)", async () => {
    await expect(loadVisitorKey({ [TRANSFORM_ENV.visitorKeyParam]: "/missing" }, stubSsm({}))).rejects.toThrow(
      /cannot read the visitor-id key from SSM parameter \/missing: ParameterNotFound/,
    );
  });

  it("falls back to VISITOR_ID_KEY for local runs", async () => {
    await expect(loadVisitorKey({ [TRANSFORM_ENV.visitorKey]: "env-key-0123456789" }, stubSsm({}))).resolves.toBe("env-key-0123456789");
  });

  it("GEOIP_DATABASE: files, none, or unset", () => {
    expect(geoDatabaseFromEnv(undefined)).toBeUndefined();
    expect(geoDatabaseFromEnv(" ")).toBeUndefined();
    expect(geoDatabaseFromEnv("None")).toBe(false);
    expect(geoDatabaseFromEnv("a.mmdb, /opt/b.mmdb,")).toEqual(["a.mmdb", "/opt/b.mmdb"]);
  });
});
